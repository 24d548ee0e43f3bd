# convlab: the two commands a user needs are `make experiments` and `make test`.
GO        ?= go
BIN       := bin/convlab
# The experiment files `make experiments` runs; override to run others, e.g.
#   make experiments EXPERIMENTS="experiments/subset.yaml experiments/figure1.yaml"
EXPERIMENTS ?= experiments/report.yaml experiments/figure1.yaml
JOBS      ?= 1

.PHONY: all build experiments smoke report test vet fmt-check fuzz bench bench-peer bench-peer-raw bench-kernels bench-step bench-stock profile-step test-ops chaos fidelity fidelity-steps fidelity-paired slurm-up slurm-down slurm-e2e clean

all: build

build:
	$(GO) build -o $(BIN) .

# Train every run of the study that is not done yet, then write the tables,
# figures and REPORT.md under results/<file name>/.
experiments: build
	$(BIN) run -j $(JOBS) $(EXPERIMENTS)

# A grid that finishes in about a minute on 2 cores.
smoke: build
	$(BIN) run experiments/smoke.yaml

# Rebuild tables, figures and REPORT.md from stored results, without training.
report: build
	$(BIN) report $(EXPERIMENTS)

test: vet fmt-check
	$(GO) test -count=1 ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Run every fuzz target for FUZZTIME each.
FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

PYTHON        ?= /usr/bin/python3
PEER_SCRIPT   ?= scripts/peer/torch_bench.py
BENCH_THREADS ?= $(shell nproc 2>/dev/null || echo 2)

# Training and inference images/s (batch 128) of every preset, our model.
bench: build
	$(BIN) bench --threads $(BENCH_THREADS)

# Ours and PyTorch's side by side (alternating rounds), our throughput as a
# ratio of PyTorch's, per preset, per wall second and per CPU second. Six
# rounds of 5 repeats of 20 steps (about 2.5 minutes on 2 vCPUs): with the
# command's defaults (2 rounds of 3 × 10 steps) PyTorch's own swings from
# one repeat to the next, up to 4.5x, decide the ratio (see README, Speed).
BENCH_PEER_FLAGS ?= --rounds 6 --repeats 5 --steps 20
bench-peer: build
	$(BIN) bench --threads $(BENCH_THREADS) --peer $(BENCH_PEER_FLAGS) --peer-script $(PEER_SCRIPT) --python $(PYTHON)

# The same comparison without the CLI: the peer's JSON lines, then ours.
bench-peer-raw: build
	$(PYTHON) $(PEER_SCRIPT) --threads $(BENCH_THREADS)
	$(BIN) bench --threads $(BENCH_THREADS)

# Kernel speed: fast vs the reference loops on the study's layer shapes.
bench-kernels:
	$(GO) test -run XXX -bench 'Conv/.*/.*/fast|GEMM|MaxPool|ReLUGrad' -benchtime 20x ./arch/kernels/

# One training step per preset (go test benchmark), and its CPU profile.
bench-step:
	$(GO) test -run XXX -bench TrainStep -benchtime 20x ./runner/bench/

# Our training step next to the same strided net built from gorgonia's
# stock ops (Conv2d, BroadcastAdd, Rectify, ...): the speed-up of arch/ops.
bench-stock:
	$(GO) test -run XXX -bench 'TrainStep$$|TrainStepStock' -benchtime 10x ./arch/net/

# PRESET picks the architecture; CONVLAB_KERNELS=avx512|avx2|go the kernels.
PRESET ?= strided
profile-step:
	$(GO) test -run XXX -bench 'TrainStep/$(PRESET)/threads=2' -benchtime 40x -cpuprofile /tmp/convlab-step.prof ./runner/bench/
	$(GO) tool pprof -top -nodecount 30 /tmp/convlab-step.prof

# Issue 12: convlab against the Keras-faithful reference
# (scripts/peer/keras_reference.py, PyTorch). fidelity-steps compares loss,
# gradients and weights step by step on the study's networks (100 Adam
# steps); fidelity trains both on every cell and seed and summarises means,
# differences and Welch 95% CIs (go run ./scripts/peer/paired, with
# report/stats). Partial runs: make fidelity SEEDS="1 2" CELLS="strided:0.0001".
fidelity: build
	nice scripts/peer/fidelity.sh

# fidelity-paired: per cell and seed, convlab, the reference with convlab's
# random streams (same initial weights, shuffles, dropout masks) and the
# reference with its own; the summary (scripts/peer/paired, report/stats)
# separates the training arithmetic (convlab - paired, paired by seed) from
# the random streams (paired - reference). Defaults: strided l1 1e-3 and 0,
# seeds 1-8; e.g. make fidelity-paired SEEDS="9 10" CELLS="strided:0.001";
# SWAPS="init=convlab dropout=convlab" adds the reference with only those
# of convlab's streams.
fidelity-paired: build
	nice scripts/peer/fidelity_paired.sh

fidelity-steps:
	CONVLAB_FIDELITY_STUDY=1 $(GO) test -count=1 -timeout 60m -v -run 'TestKerasStepEquivalence' ./arch/net/

# The operations packages' tests (killed child process, cache, shards,
# progress modes, sbatch script goldens), with the race detector.
test-ops:
	$(GO) test -race -count=1 ./runner/grid/... ./runner/progress/... ./runner/slurm/...

# KILLS random SIGKILLs of `convlab run -j 2` over a small grid (make test
# runs 5), then every run compared bit for bit with an uninterrupted run's;
# CHAOS_SEED replays a sequence of kills.
KILLS ?= 50
chaos:
	CONVLAB_CHAOS_KILLS=$(KILLS) CONVLAB_CHAOS_SEED=$(CHAOS_SEED) $(GO) test -count=1 -run '^TestChaos$$' -v ./cli/

# A one-node Slurm cluster on localhost (Debian slurm-wlm + munge), state in
# /tmp/convlab-slurm; then: eval "$$(scripts/slurm/cluster.sh env)".
slurm-up:
	scripts/slurm/cluster.sh start

slurm-down:
	scripts/slurm/cluster.sh stop

# Submit a grid through `convlab slurm` on the local cluster (started if
# needed), wait for the array and the report job, check every run is in
# REPORT.md (the smoke grid has 6 runs).
SLURM_GRID ?= experiments/smoke.yaml
SHARDS ?= 3
EXPECTED_RUNS ?= 6
slurm-e2e:
	SHARDS=$(SHARDS) EXPECTED_RUNS=$(EXPECTED_RUNS) scripts/slurm/e2e.sh $(SLURM_GRID)

clean:
	rm -rf bin
