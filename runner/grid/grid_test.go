package grid

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"convlab/runner/progress"
	"convlab/runner/results"
	"convlab/runner/spec"
)

func TestExecuteTrainsThenSkips(t *testing.T) {
	root := t.TempDir()
	runs := grid(4)
	f := &fakeTrainer{batches: 2}
	sum, err := Execute(context.Background(), runs, opts(root, f))
	if err != nil || sum.Err() != nil {
		t.Fatalf("Execute: %v / %v", err, sum.Err())
	}
	if len(sum.Done) != 4 || len(sum.Skipped) != 0 {
		t.Fatalf("first Execute: %s, want 4 done", sum)
	}
	checkTree(t, root, runs)

	// Unchanged: everything is skipped, nothing trains.
	sum, err = Execute(context.Background(), runs, opts(root, f))
	if err != nil || len(sum.Done) != 0 || len(sum.Skipped) != 4 {
		t.Fatalf("second Execute: %s, %v; want 4 skipped", sum, err)
	}
	for _, r := range runs {
		if n := f.callCount(r.ID); n != 1 {
			t.Errorf("run %s trained %d times, want 1", r.ID, n)
		}
	}

	// One run changed (same ID, other settings): only it trains, into a new
	// directory; the old one stays (it is another run now).
	changed := append([]spec.Run(nil), runs...)
	changed[2].L1 = 0.01
	sum, err = Execute(context.Background(), changed, opts(root, f))
	if err != nil || fmt.Sprint(ids(sum.Done)) != fmt.Sprint([]string{runs[2].ID}) || len(sum.Skipped) != 3 {
		t.Fatalf("after a change: %s (done %v), %v; want only %s done", sum, ids(sum.Done), err, runs[2].ID)
	}
	checkTree(t, root, append(changed, runs[2]))

	// Other data: every run's key changes, all train again.
	o := opts(root, f)
	o.DataIdentity = func(r spec.Run) (string, error) { return "cifar10:other", nil }
	sum, err = Execute(context.Background(), runs, o)
	if err != nil || len(sum.Done) != 4 {
		t.Fatalf("other data: %s, %v; want 4 done", sum, err)
	}
	for _, r := range runs {
		if !dataStatus("cifar10:other").Done(root, r) {
			t.Errorf("run %s not done with the new data's key", r.ID)
		}
	}
}

func TestForceAndOnly(t *testing.T) {
	root := t.TempDir()
	runs := grid(5) // ids strided-n1000-s1 ... strided-n5000-s1
	f := &fakeTrainer{}
	if _, err := Execute(context.Background(), runs, opts(root, f)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		only        string
		force       bool
		wantDone    []string
		wantSkipped int
	}{
		{"strided-n[12]000-*", true, []string{"strided-n1000-s1", "strided-n2000-s1"}, 0},
		{"strided-n(3|5)000-s1", true, []string{"strided-n3000-s1", "strided-n5000-s1"}, 0},
		{".*n4000.*", true, []string{"strided-n4000-s1"}, 0},
		{"strided-n4000-s1", false, nil, 1},
		{"", false, nil, 5},
		{"", true, []string{"strided-n1000-s1", "strided-n2000-s1", "strided-n3000-s1", "strided-n4000-s1", "strided-n5000-s1"}, 0},
	}
	for _, tt := range tests {
		o := opts(root, f)
		o.Force = tt.force
		sel, err := SelectOnly(runs, tt.only)
		if err != nil {
			t.Fatalf("SelectOnly(%q): %v", tt.only, err)
		}
		sum, err := Execute(context.Background(), sel, o)
		if err != nil {
			t.Fatalf("only %q force %v: %v", tt.only, tt.force, err)
		}
		if fmt.Sprint(ids(sum.Done)) != fmt.Sprint(tt.wantDone) || len(sum.Skipped) != tt.wantSkipped {
			t.Errorf("only %q force %v: done %v skipped %d; want %v and %d", tt.only, tt.force, ids(sum.Done), len(sum.Skipped), tt.wantDone, tt.wantSkipped)
		}
	}
	checkTree(t, root, runs)
	if n := f.callCount("strided-n4000-s1"); n != 3 {
		t.Errorf("strided-n4000-s1 trained %d times, want 3 (first, regexp force, full force)", n)
	}

	// A pattern matching no run selects none, and Execute given no run
	// trains nothing (the command line reports the pattern that matched
	// nothing in any file).
	sel, err := SelectOnly(runs, "resnet*")
	if err != nil || len(sel) != 0 {
		t.Errorf("no match: SelectOnly = %v, %v; want no runs and no error", ids(outcomes(sel)), err)
	}
	sum, err := Execute(context.Background(), sel, opts(root, f))
	if err != nil || len(sum.Done)+len(sum.Skipped)+len(sum.Failed) != 0 {
		t.Errorf("no runs: %s, %v", sum, err)
	}
	if _, err := SelectOnly(runs, "a[(b"); err == nil || !strings.Contains(err.Error(), `--only "a[(b" is neither a glob`) {
		t.Errorf("bad pattern: SelectOnly error %v", err)
	}
}

func outcomes(runs []spec.Run) []Outcome {
	var out []Outcome
	for _, r := range runs {
		out = append(out, Outcome{Run: r})
	}
	return out
}

func TestFailingRunsDoNotStopOthers(t *testing.T) {
	root := t.TempDir()
	runs := grid(4)
	f := &fakeTrainer{fail: map[string]error{
		runs[1].ID: errors.New("loss became NaN at epoch 2"),
		runs[3].ID: errors.New("panic"),
	}}
	o := opts(root, f)
	o.Jobs = 2
	sum, err := Execute(context.Background(), runs, o)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids(sum.Done)) != fmt.Sprint(ids([]Outcome{{Run: runs[0]}, {Run: runs[2]}})) {
		t.Errorf("done %v, want %s and %s", ids(sum.Done), runs[0].ID, runs[2].ID)
	}
	if len(sum.Failed) != 2 {
		t.Fatalf("failed %v, want 2", ids(sum.Failed))
	}
	msg := sum.Err().Error()
	for _, want := range []string{"run strided-n2000-s1 failed: loss became NaN at epoch 2", "run strided-n4000-s1 failed: training panicked: fake trainer blew up"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Summary.Err() = %q, want it to say %q", msg, want)
		}
	}
	checkTree(t, root, []spec.Run{runs[0], runs[2]})

	// A run that returns no record fails too.
	o.Train = func(context.Context, spec.Run, string, progress.Reporter) (*results.Record, error) { return nil, nil }
	sum, _ = Execute(context.Background(), runs[1:2], o)
	if len(sum.Failed) != 1 || !strings.Contains(sum.Failed[0].Err.Error(), "training returned no record") {
		t.Errorf("nil record: %+v", sum.Failed)
	}
}

func TestCancelStopsCleanly(t *testing.T) {
	root := t.TempDir()
	runs := grid(5)
	f := &fakeTrainer{gate: make(chan struct{}), started: make(chan string, 10)}
	o := opts(root, f)
	o.Jobs = 2
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var sum Summary
	var err error
	go func() {
		sum, err = Execute(ctx, runs, o)
		close(done)
	}()
	// Let two runs start and train a few batches, then cancel mid-epoch.
	<-f.started
	<-f.started
	for range 3 {
		f.gate <- struct{}{}
	}
	cancel()
	<-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Execute after cancel: %v, want context.Canceled", err)
	}
	if len(sum.Done) != 0 || len(sum.Failed) != 0 || len(sum.Canceled) != 5 {
		t.Fatalf("after cancel: %s; want 5 canceled", sum)
	}
	if got := runDirs(t, root); len(got) != 0 {
		t.Errorf("runs/ after cancel: %v, want empty", got)
	}
	// Start again: everything trains (nothing half-written counted).
	f2 := &fakeTrainer{}
	sum, err = Execute(context.Background(), runs, opts(root, f2))
	if err != nil || len(sum.Done) != 5 {
		t.Fatalf("rerun: %s, %v", sum, err)
	}
	checkTree(t, root, runs)
}

func TestParallelThreadsAndAfterRuns(t *testing.T) {
	root := t.TempDir()
	runs := grid(6)
	f := &fakeTrainer{batches: 3, batchDelay: 5 * time.Millisecond}
	o := opts(root, f)
	o.Jobs, o.Cores = 3, 6
	// The hook runs once, after every commit: it sees all six runs.
	var calls, seen []int
	o.AfterRuns = func() error {
		entries, err := os.ReadDir(filepath.Join(root, results.RunsDir))
		if err != nil {
			return err
		}
		calls = append(calls, 1)
		seen = append(seen, len(entries))
		return errors.New("disk full")
	}
	sum, err := Execute(context.Background(), runs, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Done) != 6 || len(sum.Errors) != 1 || !strings.Contains(sum.Err().Error(), "after the runs: disk full") {
		t.Fatalf("%s, errors %v", sum, sum.Errors)
	}
	if len(calls) != 1 || seen[0] != 6 {
		t.Errorf("AfterRuns called %d times, seeing %v run directories; want once, seeing 6", len(calls), seen)
	}
	if m := f.maxSeen.Load(); m < 2 || m > 3 {
		t.Errorf("at most %d runs trained at once, want 2..3 with -j 3", m)
	}
	for _, th := range f.threads {
		if th != 2 {
			t.Errorf("thread budget %d, want 6 cores / 3 jobs = 2", th)
		}
	}
	checkTree(t, root, runs)
	// Nothing committed: nothing to rewrite.
	calls = nil
	if sum, err := Execute(context.Background(), runs, o); err != nil || len(sum.Skipped) != 6 || len(calls) != 0 {
		t.Errorf("second Execute: %s, %v; AfterRuns called %d times, want 0", sum, err, len(calls))
	}
}

func TestThreadBudgetFewRuns(t *testing.T) {
	f := &fakeTrainer{}
	o := opts(t.TempDir(), f)
	o.Jobs, o.Cores = 4, 8
	if _, err := Execute(context.Background(), grid(2), o); err != nil {
		t.Fatal(err)
	}
	// Two runs with -j 4 on 8 cores: the two jobs split the cores.
	for _, th := range f.threads {
		if th != 4 {
			t.Errorf("thread budget %d, want 4", th)
		}
	}
	if got := Threads(context.Background()); got < 1 {
		t.Errorf("Threads outside Execute = %d", got)
	}
}

func TestCommitReplacesStaleRun(t *testing.T) {
	root := t.TempDir()
	runs := grid(1)
	dir := filepath.Join(root, results.RunsDir, results.RunDirName(runs[0]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// A run done by older training code: DONE with another key, old files.
	if err := os.WriteFile(filepath.Join(dir, results.DoneFile), []byte(`{"key":"old|cifar10:test|code-0"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "stale.txt"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := Execute(context.Background(), runs, opts(root, &fakeTrainer{}))
	if err != nil || len(sum.Done) != 1 {
		t.Fatalf("%s, %v", sum, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "stale.txt")); !os.IsNotExist(err) {
		t.Errorf("stale file survived the replacement: %v", err)
	}
	checkTree(t, root, runs)
}

func TestCommitFallbackWithoutExchange(t *testing.T) {
	// commit's fallback (used where the atomic swap is unsupported) also
	// replaces an existing run completely.
	dir := t.TempDir()
	tmp, final := filepath.Join(dir, "tmp.1.ab"), filepath.Join(dir, "final")
	for _, d := range []string{tmp, final} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, filepath.Base(d)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := commit(tmp, final); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(final)
	if len(entries) != 1 || entries[0].Name() != "tmp.1.ab" {
		t.Errorf("final holds %v, want only the new run's file", entries)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("old run left at %s: %v", tmp, err)
	}
}

func TestCleanStale(t *testing.T) {
	root := t.TempDir()
	tmp := filepath.Join(root, TmpDir)
	host, _ := os.Hostname()
	dead := deadPID(t)
	mk := func(name, owner string) string {
		d := filepath.Join(tmp, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if owner != "" {
			if err := os.WriteFile(filepath.Join(d, OwnerFile), []byte(owner), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	deadDir := mk(fmt.Sprintf("a-1.%d.00ff", dead), fmt.Sprintf("%s\n%d\n", host, dead))
	noOwner := mk(fmt.Sprintf("b-2.%d.0a0b", dead), "")
	live := mk(fmt.Sprintf("c-3.%d.0c0d", os.Getpid()), fmt.Sprintf("%s\n%d\n", host, os.Getpid()))
	parent := mk(fmt.Sprintf("d-4.%d.0c0d", os.Getppid()), fmt.Sprintf("%s\n%d\n", host, os.Getppid()))
	other := mk(fmt.Sprintf("e-5.%d.0e0f", dead), "some-other-node\n123\n")
	junk := mk("not-a-run-dir", "")
	cleaned, err := CleanStale(root)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(cleaned) != fmt.Sprint([]string{deadDir, noOwner}) {
		t.Errorf("cleaned %v, want %v", cleaned, []string{deadDir, noOwner})
	}
	for _, d := range []string{live, parent, other, junk} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s removed: %v", d, err)
		}
	}
}
