#!/usr/bin/env bash
# make fidelity: the distribution equivalence of issue 12. Trains every cell
# (ARCH:L1) with every seed twice, in convlab and in the Keras-faithful
# reference (scripts/peer/keras_reference.py), both with dropout and
# shuffling on, then summarises per cell and metric: both means, the
# difference and its 95% Welch confidence interval, pooled over the cells
# too (go run ./scripts/peer/paired, the statistics of report/stats).
#
# Seeds are the outer loop, so a run cut short still has every cell with
# the seeds done so far; finished runs are kept and not trained again.
#   CELLS   ARCH:L1 pairs (default: the six cells of issue 12)
#   SEEDS   seeds (default 1 2 3 4 5)
#   N, EPOCHS            default 5000, 20
#   STREAMS  the reference's random streams (keras_reference.py train
#            --streams): own (default: a torch generator a stream, as
#            TensorFlow gives each random op a seed of its own) or torch
#            (one generator for all three, which trains 0.0125 higher in
#            train accuracy; see README, Fidelity)
#   FIDELITY_DIR         where results go (default results/fidelity)
#   CIFAR10_DIR          the data (default ../shared/data/cifar-10-subset)
#   CONVLAB, PYTHON, GO  the binary, the interpreter, the Go command
set -euo pipefail
cd "$(dirname "$0")/../.."
CELLS=${CELLS:-"strided:0 strided:0.0001 strided:0.001 strided:0.01 maxpool:0.0001 deeper:0.0001"}
SEEDS=${SEEDS:-"1 2 3 4 5"}
N=${N:-5000}
EPOCHS=${EPOCHS:-20}
STREAMS=${STREAMS:-own}
OUT=${FIDELITY_DIR:-results/fidelity}
CONVLAB=${CONVLAB:-bin/convlab}
PYTHON=${PYTHON:-/usr/bin/python3}
GO=${GO:-go}
if [ -z "${CIFAR10_DIR:-}" ] && [ -d ../shared/data/cifar-10-subset ]; then
  CIFAR10_DIR="$(cd ../shared/data/cifar-10-subset && pwd)"
fi
: "${CIFAR10_DIR:?set CIFAR10_DIR to the CIFAR-10 binary directory}"
export CIFAR10_DIR
mkdir -p "$OUT/reference" "$OUT/convlab"

for seed in $SEEDS; do
  # convlab: one experiment file per seed, one sweep per cell.
  yaml="$OUT/convlab/fidelity-s$seed.yaml"
  {
    echo "name: fidelity"
    echo "description: issue 12, convlab's side of the distribution equivalence (seed $seed)"
    echo "defaults: {dataset: cifar10, data_dir: \"$CIFAR10_DIR\", n: $N, epochs: $EPOCHS, batch_size: 128, validation_split: 0.1}"
    echo "sweeps:"
    i=0
    for cell in $CELLS; do
      i=$((i + 1))
      echo "  cell$i: {set: {arch: ${cell%%:*}, l1: ${cell##*:}, seed: $seed}}"
    done
  } >"$yaml.tmp"
  mv "$yaml.tmp" "$yaml"
  # Both sides at once, one core each.
  "$CONVLAB" run -cores 1 -no-report -results "$OUT/convlab/results" "$yaml" >"$OUT/convlab/run-s$seed.log" 2>&1 &
  conv=$!
  for cell in $CELLS; do
    arch=${cell%%:*} l1=${cell##*:}
    f="$OUT/reference/$arch-n$N-l1_$l1-e$EPOCHS-s$seed.json"
    if [ -s "$f" ]; then
      grep -q "\"streams\": \"$STREAMS\"" "$f" ||
        { echo "fidelity: $f was trained with other --streams than STREAMS=$STREAMS; use another FIDELITY_DIR" >&2; exit 1; }
      continue
    fi
    "$PYTHON" scripts/peer/keras_reference.py train --data-dir "$CIFAR10_DIR" --arch "$arch" --n "$N" \
      --l1 "$l1" --epochs "$EPOCHS" --seed "$seed" --threads 1 --streams "$STREAMS" >"$f.tmp"
    mv "$f.tmp" "$f"
  done
  wait "$conv" || { echo "fidelity: convlab failed for seed $seed; see $OUT/convlab/run-s$seed.log" >&2; exit 1; }
  "$GO" run ./scripts/peer/paired "$OUT" >"$OUT/summary.md.tmp"
  mv "$OUT/summary.md.tmp" "$OUT/summary.md"
  echo "fidelity: seed $seed done; $OUT/summary.md"
done
cat "$OUT/summary.md"
