package grid

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"convlab/runner/integrity"
	"convlab/runner/results"
)

func TestDoneRecordsEveryFile(t *testing.T) {
	root := t.TempDir()
	runs := grid(1)
	if sum, err := Execute(context.Background(), runs, opts(root, &fakeTrainer{})); err != nil || sum.Err() != nil {
		t.Fatalf("%v / %v", err, sum.Err())
	}
	dir := results.RunDir(root, runs[0])
	d, err := integrity.ReadDone(dir)
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var want []string
	for _, e := range entries {
		if e.Name() != results.DoneFile {
			want = append(want, e.Name())
		}
	}
	var got []string
	for _, f := range d.Files {
		got = append(got, f.Name)
	}
	sort.Strings(want)
	if fmt.Sprint(got) != fmt.Sprint(want) || !strings.Contains(fmt.Sprint(got), "weights.bin") {
		t.Errorf("DONE records %v, want every file of the run %v", got, want)
	}
	if _, damage := integrity.CheckRunDir(dir, true); len(damage) > 0 {
		t.Errorf("a fresh run is damaged: %v", damage)
	}
}

func TestDamagedRunIsQuarantinedAndTrainedAgain(t *testing.T) {
	root := t.TempDir()
	runs := grid(3)
	f := &fakeTrainer{}
	if sum, err := Execute(context.Background(), runs, opts(root, f)); err != nil || sum.Err() != nil {
		t.Fatalf("%v / %v", err, sum.Err())
	}
	damaged := results.RunDir(root, runs[0])
	metrics := filepath.Join(damaged, results.MetricsFile)
	if err := os.Truncate(metrics, 40); err != nil {
		t.Fatal(err)
	}
	st := NewStatus(noIdentity)
	if got, damage := st.Check(root, runs[0]); got != StateDamaged || len(damage) != 1 || damage[0].File != results.MetricsFile {
		t.Errorf("truncated metrics.json: %v %v, want damaged naming it", got, damage)
	}
	if got, _ := st.Check(root, runs[1]); got != StateDone {
		t.Errorf("intact run: %v, want done", got)
	}

	for round := 1; round <= 2; round++ {
		sum, err := Execute(context.Background(), runs, opts(root, f))
		if err != nil || sum.Err() != nil {
			t.Fatalf("round %d: %v / %v", round, err, sum.Err())
		}
		if ids(sum.Done) == nil || ids(sum.Done)[0] != runs[0].ID || len(sum.Done) != 1 || len(sum.Skipped) != 2 {
			t.Errorf("round %d: %s; want the damaged run trained again, the others skipped", round, sum)
		}
		// Round 2 finds the name taken by round 1's copy.
		want := filepath.Join(root, QuarantineDir, filepath.Base(damaged))
		if round == 2 {
			want += ".2"
		}
		if len(sum.Quarantined) != 1 || sum.Quarantined[0].Dir != want {
			t.Fatalf("round %d: quarantined %+v, want %s", round, sum.Quarantined, want)
		}
		if !strings.Contains(sum.String(), "1 damaged moved to quarantine/") {
			t.Errorf("summary %q does not say a run was quarantined", sum)
		}
		// Kept as it was, with a note naming the file.
		if info, err := os.Stat(filepath.Join(want, results.MetricsFile)); err != nil || info.Size() != 40 {
			t.Errorf("quarantined metrics.json: %v, %v; want the truncated 40 bytes kept", info, err)
		}
		note, _ := os.ReadFile(filepath.Join(want, QuarantineNote))
		if !strings.Contains(string(note), "metrics.json: 40 bytes, DONE records") {
			t.Errorf("quarantine note:\n%s", note)
		}
		checkTree(t, root, runs)
		if err := os.Truncate(metrics, 40); err != nil {
			t.Fatal(err)
		}
	}
}

// A run whose DONE predates file hashes is done, unverified.
func TestOlderDoneWithoutFilesIsUnverified(t *testing.T) {
	root := t.TempDir()
	runs := grid(1)
	f := &fakeTrainer{}
	if _, err := Execute(context.Background(), runs, opts(root, f)); err != nil {
		t.Fatal(err)
	}
	old := fmt.Sprintf(`{"key": %q, "run_id": %q, "hash": %q, "code_version": "1", "finished": "2026-11-25T10:42:08Z"}`,
		Key(runs[0], "cifar10:test"), runs[0].ID, runs[0].Hash())
	if err := os.WriteFile(filepath.Join(results.RunDir(root, runs[0]), results.DoneFile), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := NewStatus(noIdentity).Check(root, runs[0]); got != StateUnverified || got.String() != "done (unverified)" {
		t.Errorf("state %v, want done (unverified)", got)
	}
	sum, err := Execute(context.Background(), runs, opts(root, f))
	if err != nil || len(sum.Skipped) != 1 || f.callCount(runs[0].ID) != 1 {
		t.Errorf("%s, %v: want the unverified run skipped", sum, err)
	}
}

const (
	lockRootEnv = "CONVLAB_EXEC_LOCK_ROOT"
	lockLogEnv  = "CONVLAB_EXEC_LOCK_LOG"
)

// TestLockHelperProcess is not a test: run as a child by
// TestTwoProcessesTrainEachRunOnce, it trains lockRuns() into
// $CONVLAB_EXEC_LOCK_ROOT, appending "pid run" to $CONVLAB_EXEC_LOCK_LOG
// each time it starts training a run.
func TestLockHelperProcess(t *testing.T) {
	root := os.Getenv(lockRootEnv)
	if root == "" {
		t.Skip("helper process for TestTwoProcessesTrainEachRunOnce")
	}
	f := &fakeTrainer{batches: 3, batchDelay: 20 * time.Millisecond}
	o := opts(root, f)
	o.Jobs = 2
	o.Train = func(ctx context.Context, run specRun, dir string, p progressReporter) (*resultsRecord, error) {
		log, err := os.OpenFile(os.Getenv(lockLogEnv), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(log, "%d %s\n", os.Getpid(), run.ID)
		log.Close()
		return f.train(ctx, run, dir, p)
	}
	// Start together: say ready, wait for the word.
	logDir := filepath.Dir(os.Getenv(lockLogEnv))
	os.WriteFile(filepath.Join(logDir, fmt.Sprintf("ready.%d", os.Getpid())), nil, 0o644)
	for {
		if _, err := os.Stat(filepath.Join(logDir, "go")); err == nil {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	sum, err := Execute(context.Background(), lockRuns(), o)
	if err != nil || sum.Err() != nil {
		fmt.Fprintln(os.Stderr, sum, err, sum.Err())
		os.Exit(1)
	}
	fmt.Printf("%d done, %d skipped\n", len(sum.Done), len(sum.Skipped))
	os.Exit(0)
}

func lockRuns() []specRun { return gridEpochs(8, 2) }

// Two processes on one results tree, started together on the same grid
// (two terminals, or Slurm tasks with overlapping shards), train each run
// once between them.
func TestTwoProcessesTrainEachRunOnce(t *testing.T) {
	root := t.TempDir()
	log := filepath.Join(t.TempDir(), "starts.log")
	var cmds []*exec.Cmd
	var outs []*strings.Builder
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$")
		cmd.Env = append(os.Environ(), lockRootEnv+"="+root, lockLogEnv+"="+log)
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill() }) // when the test fails before Wait
		cmds = append(cmds, cmd)
		outs = append(outs, out)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(2 * time.Millisecond) {
		if ready, _ := filepath.Glob(filepath.Join(filepath.Dir(log), "ready.*")); len(ready) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the helper processes did not start")
		}
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(log), "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	done, skipped := 0, 0
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s", i, err, outs[i])
		}
		var d, s int
		if _, err := fmt.Sscanf(outs[i].String(), "%d done, %d skipped", &d, &s); err != nil {
			t.Fatalf("process %d said %q", i, outs[i])
		}
		done, skipped = done+d, skipped+s
	}
	runs := lockRuns()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	starts := map[string]int{}
	pids := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		pid, id, _ := strings.Cut(line, " ")
		starts[id]++
		pids[pid] = true
	}
	for _, r := range runs {
		if starts[r.ID] != 1 {
			t.Errorf("run %s started training %d times, want once", r.ID, starts[r.ID])
		}
	}
	if done != len(runs) || skipped != len(runs) {
		t.Errorf("the two processes did %d and skipped %d runs, want %d each", done, skipped, len(runs))
	}
	if len(pids) != 2 {
		t.Errorf("only %d process trained anything; the test did not run them side by side", len(pids))
	}
	checkTree(t, root, runs)
}

// fullDisk is a writer that takes budget bytes, then fails as a full disk
// does: with ENOSPC, naming the file.
type fullDisk struct {
	w      io.Writer
	path   string
	budget int
}

func (d *fullDisk) Write(p []byte) (int, error) {
	if len(p) > d.budget {
		n, _ := d.w.Write(p[:d.budget])
		d.budget = 0
		return n, &os.PathError{Op: "write", Path: d.path, Err: syscall.ENOSPC}
	}
	d.budget -= len(p)
	return d.w.Write(p)
}

// A disk that fills up while a run writes its weights fails that run with
// a message naming the file; it does not count as done, the run before it
// is intact, and once there is space the next Execute resumes it from its
// last checkpoint. (TestFullDiskTmpfs in cli does this on a real
// full file system.)
func TestFullDiskFailsTheRunCleanly(t *testing.T) {
	root := t.TempDir()
	runs := grid(2)
	f := &fakeTrainer{}
	diskFull := true
	o := opts(root, f)
	o.Train = func(ctx context.Context, run specRun, dir string, p progressReporter) (*resultsRecord, error) {
		rec, err := f.train(ctx, run, dir, p)
		if err != nil || run.ID != runs[1].ID || !diskFull {
			return rec, err
		}
		path := filepath.Join(dir, "weights.bin")
		file, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		defer file.Close()
		w := &fullDisk{w: file, path: path, budget: 10}
		if _, err := w.Write(make([]byte, 100)); err != nil {
			return nil, fmt.Errorf("save weights: %w", err)
		}
		return rec, nil
	}
	sum, err := Execute(context.Background(), runs, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Done) != 1 || len(sum.Failed) != 1 || sum.Failed[0].Run.ID != runs[1].ID {
		t.Fatalf("%s; want the first run done and the second failed", sum)
	}
	msg := sum.Err().Error()
	if !errors.Is(sum.Failed[0].Err, syscall.ENOSPC) || !strings.Contains(msg, "weights.bin: no space left on device") {
		t.Errorf("error %q: want ENOSPC naming weights.bin", msg)
	}
	st := NewStatus(noIdentity)
	if got, _ := st.Check(root, runs[1]); got != StateToDo {
		t.Errorf("failed run: %v, want to do", got)
	}
	if _, damage := integrity.CheckRunDir(results.RunDir(root, runs[0]), true); len(damage) > 0 {
		t.Errorf("the run before the full disk: %v", damage)
	}
	if tmp, _ := os.ReadDir(filepath.Join(root, TmpDir)); len(tmp) != 0 {
		t.Errorf("tmp/ holds %v after the failure", tmp)
	}
	if ck, _ := filepath.Glob(filepath.Join(root, CheckpointsDir, results.RunDirName(runs[1]), "*.ckpt")); len(ck) == 0 {
		t.Error("the failed run left no checkpoint to resume from")
	}

	diskFull = false
	sum, err = Execute(context.Background(), runs, o)
	if err != nil || sum.Err() != nil || len(sum.Done) != 1 || len(sum.Skipped) != 1 {
		t.Fatalf("after space is freed: %s, %v / %v", sum, err, sum.Err())
	}
	if f.resumed[runs[1].ID] != runs[1].Epochs {
		t.Errorf("the run resumed after epoch %d, want its last, %d", f.resumed[runs[1].ID], runs[1].Epochs)
	}
	checkTree(t, root, runs)
}

// Two forced runners of one run at the same time train it once: the one
// that waits finds it committed by the other since it looked, and skips.
func TestForcedRunTrainsOnceAcrossRunners(t *testing.T) {
	root := t.TempDir()
	runs := grid(1)
	if _, err := Execute(context.Background(), runs, opts(root, &fakeTrainer{})); err != nil {
		t.Fatal(err)
	}
	f := &fakeTrainer{gate: make(chan struct{}), started: make(chan string, 2)}
	o := opts(root, f)
	o.Force = true
	sums := make(chan Summary, 2)
	execute := func() {
		sum, err := Execute(context.Background(), runs, o)
		if err != nil {
			t.Error(err)
		}
		sums <- sum
	}
	go execute()
	<-f.started // the first trains, held at its first batch
	go execute()
	time.Sleep(300 * time.Millisecond) // the second looks, finds the run locked, waits
	close(f.gate)
	a, b := <-sums, <-sums
	if f.callCount(runs[0].ID) != 1 || len(a.Done)+len(b.Done) != 1 || len(a.Skipped)+len(b.Skipped) != 1 {
		t.Errorf("trained %d times; summaries %s and %s; want once, and once skipped", f.callCount(runs[0].ID), a, b)
	}
	checkTree(t, root, runs)
}

func TestLockRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.lock")
	unlock, ok, err := lockRun(context.Background(), path, false)
	if err != nil || !ok {
		t.Fatalf("free lock: %v %v", ok, err)
	}
	if _, ok, err := lockRun(context.Background(), path, false); ok || err != nil {
		t.Errorf("held lock without waiting: ok %v, err %v; want busy", ok, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, ok, err := lockRun(ctx, path, true); ok || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting on a held lock past the deadline: ok %v, err %v", ok, err)
	}
	got := make(chan bool)
	go func() {
		u, ok, _ := lockRun(context.Background(), path, true)
		if ok {
			u()
		}
		got <- ok
	}()
	time.Sleep(50 * time.Millisecond)
	unlock()
	if !<-got {
		t.Error("a waiter did not get the lock once it was released")
	}
}
