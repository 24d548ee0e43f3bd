package grid

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"convlab/arch"
	"convlab/runner/progress"
	"convlab/runner/results"
	"convlab/runner/spec"
)

// grid returns n distinct runs, as the spec loader would produce them.
func grid(n int) []spec.Run {
	runs := make([]spec.Run, n)
	for i := range runs {
		runs[i] = spec.Run{
			ID: fmt.Sprintf("strided-n%d-s1", 1000*(i+1)), Dataset: "cifar10",
			Arch: arch.Arch{Name: "strided"}, N: 1000 * (i + 1), L1: 0.0001, Epochs: 3,
			BatchSize: 128, ValidationSplit: 0.1, Seed: 1, Optimizer: spec.DefaultOptimizer(),
		}
	}
	return runs
}

// gridEpochs is grid(n) with epochs epochs each.
func gridEpochs(n, epochs int) []spec.Run {
	runs := grid(n)
	for i := range runs {
		runs[i].Epochs = epochs
	}
	return runs
}

// fakeTrainer trains nothing: it walks epochs and batches, reporting
// progress and checkpointing after every epoch, and resumes from the last
// checkpoint. The history's loss of epoch e is 1/e, so a resumed run's
// history can be checked to hold every epoch exactly once.
type fakeTrainer struct {
	batches    int
	batchDelay time.Duration
	// fail makes these run IDs fail with the error, or panic when the
	// error says "panic".
	fail map[string]error
	// crashAfter makes a run fail right after checkpointing this epoch,
	// once per run ID (to test resuming).
	crashAfter int

	mu      sync.Mutex
	calls   map[string]int
	resumed map[string]int // run ID -> epoch it resumed after
	crashed map[string]bool
	threads []int
	active  atomic.Int32
	maxSeen atomic.Int32
	gate    chan struct{} // when set, every batch waits on it (or ctx)
	started chan string   // when set, receives each run ID as it starts
}

func (f *fakeTrainer) train(ctx context.Context, run spec.Run, dir string, p progress.Reporter) (*results.Record, error) {
	n := f.active.Add(1)
	defer f.active.Add(-1)
	for {
		m := f.maxSeen.Load()
		if n <= m || f.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	f.mu.Lock()
	if f.calls == nil {
		f.calls, f.resumed, f.crashed = map[string]int{}, map[string]int{}, map[string]bool{}
	}
	f.calls[run.ID]++
	f.threads = append(f.threads, Threads(ctx))
	err := f.fail[run.ID]
	f.mu.Unlock()
	if f.started != nil {
		f.started <- run.ID
	}
	if err != nil {
		if err.Error() == "panic" {
			panic("fake trainer blew up")
		}
		return nil, err
	}
	// Something training might leave in its directory.
	if err := os.WriteFile(filepath.Join(dir, "train.log"), []byte("started\n"), 0o644); err != nil {
		return nil, err
	}

	ck := CheckpointerFrom(ctx)
	start, state, err := ck.Latest()
	if err != nil {
		return nil, err
	}
	var hist []results.Epoch
	if state != nil {
		if err := json.Unmarshal(state, &hist); err != nil {
			return nil, fmt.Errorf("resume: %w", err)
		}
		f.mu.Lock()
		f.resumed[run.ID] = start
		f.mu.Unlock()
	}
	batches := max(f.batches, 1)
	for e := start + 1; e <= run.Epochs; e++ {
		for b := 1; b <= batches; b++ {
			if f.gate != nil {
				select {
				case <-f.gate:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			if f.batchDelay > 0 {
				select {
				case <-time.After(f.batchDelay):
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			p.Batch(progress.Batch{Epoch: e, Batch: b, Batches: batches, ImagesPerSec: 100, Loss: 1 / float64(e), Accuracy: 0.5})
		}
		ep := results.Epoch{Epoch: e, Loss: 1 / float64(e), Accuracy: 0.1 * float64(e), ValLoss: 1, ValAccuracy: 0.5}
		hist = append(hist, ep)
		p.Epoch(ep)
		b, _ := json.Marshal(hist)
		if err := ck.Save(e, b); err != nil {
			return nil, err
		}
		f.mu.Lock()
		crash := f.crashAfter == e && !f.crashed[run.ID]
		if crash {
			f.crashed[run.ID] = true
		}
		f.mu.Unlock()
		if crash {
			return nil, fmt.Errorf("simulated crash after epoch %d", e)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "weights.bin"), []byte(run.Hash()), 0o644); err != nil {
		return nil, err
	}
	return &results.Record{Run: run, History: hist, Metrics: results.Metrics{Params: 42}}, nil
}

func (f *fakeTrainer) callCount(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[id]
}

// noIdentity keeps tests independent of CIFAR10_DIR.
func noIdentity(run spec.Run) (string, error) { return run.Dataset + ":test", nil }

func opts(root string, f *fakeTrainer) Options {
	return Options{Root: root, Train: f.train, DataIdentity: noIdentity}
}

// runDirs lists root/runs.
func runDirs(t *testing.T, root string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(root, results.RunsDir))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

// checkTree checks that root/runs holds exactly the given runs, each
// complete (DONE with its key, a readable record with a whole history,
// the trainer's weights) and nothing else, and that tmp/ is empty.
func checkTree(t *testing.T, root string, runs []spec.Run) {
	t.Helper()
	var want []string
	for _, r := range runs {
		want = append(want, results.RunDirName(r))
	}
	sort.Strings(want)
	got := runDirs(t, root)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("runs/ holds %v, want %v", got, want)
	}
	for _, r := range runs {
		dir := filepath.Join(root, results.RunsDir, results.RunDirName(r))
		if !dataStatus("cifar10:test").Done(root, r) {
			t.Errorf("%s: not done with key %s", dir, Key(r, "cifar10:test"))
		}
		rec, err := results.ReadRunDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Run.ID != r.ID || rec.Hash != r.Hash() {
			t.Errorf("%s: record of %s/%s, want %s/%s", dir, rec.Run.ID, rec.Hash, r.ID, r.Hash())
		}
		if len(rec.History) != r.Epochs {
			t.Errorf("%s: %d epochs in history, want %d", dir, len(rec.History), r.Epochs)
		}
		for i, e := range rec.History {
			if e.Epoch != i+1 || e.Loss != 1/float64(i+1) {
				t.Errorf("%s: history row %d = %+v, want epoch %d loss %g", dir, i, e, i+1, 1/float64(i+1))
			}
		}
		w, err := os.ReadFile(filepath.Join(dir, "weights.bin"))
		if err != nil || string(w) != r.Hash() {
			t.Errorf("%s: weights.bin = %q, %v; want %q", dir, w, err, r.Hash())
		}
		if _, err := os.Stat(filepath.Join(root, CheckpointsDir, results.RunDirName(r))); !os.IsNotExist(err) {
			t.Errorf("checkpoints of done run %s still there (%v)", r.ID, err)
		}
	}
	tmp, err := os.ReadDir(filepath.Join(root, TmpDir))
	if err != nil {
		t.Fatal(err)
	}
	if len(tmp) != 0 {
		t.Errorf("tmp/ not empty: %v", tmp)
	}
}

func ids(os []Outcome) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.Run.ID)
	}
	sort.Strings(out)
	return out
}

type (
	specRun          = spec.Run
	progressReporter = progress.Reporter
	resultsRecord    = results.Record
)

// dataStatus is the Status of a tree whose every run's data set is named id.
func dataStatus(id string) *Status {
	return NewStatus(func(spec.Run) (string, error) { return id, nil })
}
