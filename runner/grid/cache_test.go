package grid

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"convlab/runner/spec"
)

func TestDataIdentity(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("data_batch_1.bin", "abc")
	write("test_batch.bin", "de")
	run := spec.Run{ID: "r", Dataset: "cifar10", DataDir: dir}
	id1, err := DataIdentity(run)
	if err != nil || !strings.HasPrefix(id1, "cifar10:") || len(id1) != len("cifar10:")+16 {
		t.Fatalf("DataIdentity = %q, %v", id1, err)
	}
	// Partial downloads and hidden files do not count.
	write("cifar-10.tar.gz.part", "zzz")
	write(".lock", "")
	if id, _ := DataIdentity(run); id != id1 {
		t.Errorf("identity changed with a .part file: %q vs %q", id, id1)
	}
	// Content counts, even at the same size.
	write("test_batch.bin", "dX")
	id2, _ := DataIdentity(run)
	if id2 == id1 {
		t.Error("identity unchanged after the content changed")
	}
	// The environment variable is used when the run has no data_dir.
	t.Setenv("CIFAR10_DIR", dir)
	if id, _ := DataIdentity(spec.Run{Dataset: "cifar10"}); id != id2 {
		t.Errorf("identity via CIFAR10_DIR = %q, want %q", id, id2)
	}
	t.Setenv("CIFAR10_DIR", "")
	if id, _ := DataIdentity(spec.Run{Dataset: "cifar10"}); id != "cifar10:default" {
		t.Errorf("identity without a directory = %q", id)
	}
	_, err = DataIdentity(spec.Run{ID: "r", Dataset: "cifar10", DataDir: filepath.Join(dir, "missing")})
	if err == nil || !strings.Contains(err.Error(), "data set cifar10 of run r: fingerprint data directory") {
		t.Errorf("missing directory: %v", err)
	}
}

func TestDataIdentityErrorFailsRuns(t *testing.T) {
	root := t.TempDir()
	runs := grid(2)
	runs[1].Dataset = "fashion-mnist"
	o := opts(root, &fakeTrainer{})
	calls := 0
	o.DataIdentity = func(r spec.Run) (string, error) {
		calls++
		if r.Dataset == "fashion-mnist" {
			return "", os.ErrNotExist
		}
		return "cifar10:test", nil
	}
	sum, err := Execute(context.Background(), append(runs, grid(1)...), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Done) != 1 || len(sum.Failed) != 1 || sum.Failed[0].Run.ID != runs[1].ID {
		t.Errorf("%s; want the fashion-mnist run failed, the other done once (its duplicate ignored)", sum)
	}
	if calls != 2 {
		t.Errorf("identity computed %d times, want once per data set", calls)
	}
}

func TestOptionErrors(t *testing.T) {
	train := (&fakeTrainer{}).train
	tests := []struct {
		opt  Options
		want string
	}{
		{Options{Train: train}, "grid options: Root is empty"},
		{Options{Root: "r"}, "grid options: Train is nil"},
		{Options{Root: "r", Train: train, Jobs: -1}, "grid options: jobs -1 is negative"},
		{Options{Root: "r", Train: train, Cores: -2}, "grid options: cores -2 is negative"},
	}
	for _, tt := range tests {
		_, err := Execute(context.Background(), grid(1), tt.opt)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Execute(%+v) = %v, want %q", tt.opt, err, tt.want)
		}
	}
}

func TestExecuteShards(t *testing.T) {
	// Three processes' worth of shards fill one tree with every run.
	root := t.TempDir()
	runs := grid(7)
	total := 0
	for i := 1; i <= 3; i++ {
		sum, err := Execute(context.Background(), SelectShard(runs, i, 3), opts(root, &fakeTrainer{}))
		if err != nil {
			t.Fatal(err)
		}
		total += len(sum.Done)
		if len(sum.Skipped) != 0 {
			t.Errorf("shard %d/3 skipped %d runs of another shard", i, len(sum.Skipped))
		}
	}
	if total != len(runs) {
		t.Errorf("shards trained %d runs, want %d", total, len(runs))
	}
	checkTree(t, root, runs)
}

// Status hashes each data set once, and only for runs that have a DONE
// marker to compare with; Execute reuses its identities.
func TestStatusHashesOncePerDataSet(t *testing.T) {
	roots := []string{t.TempDir(), t.TempDir()}
	runs := grid(4)
	runs[2].Dataset, runs[3].Dataset = "fashion-mnist", "fashion-mnist"
	other := grid(6)[4:] // a data set directory whose runs are never trained
	for i := range other {
		other[i].DataDir = "elsewhere"
	}
	for _, root := range roots {
		if _, err := Execute(context.Background(), runs[:3], opts(root, &fakeTrainer{})); err != nil {
			t.Fatal(err)
		}
	}
	calls := map[string]int{}
	st := NewStatus(func(r spec.Run) (string, error) {
		calls[r.Dataset+"|"+r.DataDir]++
		return r.Dataset + ":test", nil
	})
	for _, root := range roots {
		for i, r := range append(append([]spec.Run(nil), runs...), other...) {
			if got, want := st.Done(root, r), i < 3; got != want {
				t.Errorf("Done(%s) = %v, want %v", r.ID, got, want)
			}
		}
	}
	want := map[string]int{"cifar10|": 1, "fashion-mnist|": 1}
	if fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Errorf("identity computed %v times, want %v (once per data set with a finished run)", calls, want)
	}

	// Execute given the Status's identities hashes nothing more.
	f := &fakeTrainer{}
	o := opts(roots[0], f)
	o.DataIdentity = st.Identity
	sum, err := Execute(context.Background(), runs, o)
	if err != nil || len(sum.Skipped) != 3 || len(sum.Done) != 1 {
		t.Fatalf("Execute: %s, %v; want 3 skipped, 1 done", sum, err)
	}
	if fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Errorf("after Execute: identity computed %v times, want %v", calls, want)
	}

	// Another data set's content: not done.
	st = NewStatus(func(r spec.Run) (string, error) { return r.Dataset + ":changed", nil })
	if st.Done(roots[0], runs[0]) {
		t.Error("run done although its data changed")
	}
	st = NewStatus(func(r spec.Run) (string, error) { return "", os.ErrNotExist })
	if st.Done(roots[0], runs[0]) {
		t.Error("run done although its data cannot be named")
	}
}
