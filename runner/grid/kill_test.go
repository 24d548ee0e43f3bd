package grid

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"convlab/runner/integrity"
	"convlab/runner/results"
)

const helperEnv = "CONVLAB_EXEC_HELPER_ROOT"

// TestHelperProcess is not a test: run as a child by TestKilledRunIsRedone,
// it trains a slow grid into $CONVLAB_EXEC_HELPER_ROOT until it is killed.
func TestHelperProcess(t *testing.T) {
	root := os.Getenv(helperEnv)
	if root == "" {
		t.Skip("helper process for TestKilledRunIsRedone")
	}
	f := &fakeTrainer{batches: 4, batchDelay: 40 * time.Millisecond}
	o := opts(root, f)
	o.Jobs = 2
	// The first runs are quick so that some finish before the kill.
	quick := &fakeTrainer{batches: 1}
	o.Train = func(ctx context.Context, run specRun, dir string, p progressReporter) (*resultsRecord, error) {
		if run.ID == helperRuns()[0].ID {
			return quick.train(ctx, run, dir, p)
		}
		return f.train(ctx, run, dir, p)
	}
	sum, err := Execute(context.Background(), helperRuns(), o)
	fmt.Fprintln(os.Stderr, "helper finished without being killed:", sum, err)
	os.Exit(3)
}

func helperRuns() []specRun { return gridEpochs(5, 4) }

// deadPID returns the pid of a process that has exited and been reaped.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestKilledRunIsRedone(t *testing.T) {
	root := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+root)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once a run is committed and others are mid-training with a
	// checkpoint saved.
	deadline := time.Now().Add(30 * time.Second)
	for {
		done, _ := os.ReadDir(filepath.Join(root, results.RunsDir))
		isDone := map[string]bool{}
		for _, d := range done {
			isDone[d.Name()] = true
		}
		// Checkpoints of runs still training.
		var ckpts []string
		all, _ := filepath.Glob(filepath.Join(root, CheckpointsDir, "*", "epoch-*.ckpt"))
		for _, c := range all {
			if !isDone[filepath.Base(filepath.Dir(c))] {
				ckpts = append(ckpts, c)
			}
		}
		tmps, _ := os.ReadDir(filepath.Join(root, TmpDir))
		if len(done) >= 1 && len(ckpts) >= 1 && len(tmps) >= 1 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("helper made no progress: %d done, %d checkpoints, %d tmp", len(done), len(ckpts), len(tmps))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(os.Kill); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(interface{ Signaled() bool }); !ok || !ws.Signaled() {
		t.Fatalf("helper was not killed by the signal: %v", err)
	}
	pid := strconv.Itoa(cmd.Process.Pid)

	// What the kill left: whatever is in runs/ is complete.
	runs := helperRuns()
	before := runDirs(t, root)
	for _, name := range before {
		d, err := integrity.ReadDone(filepath.Join(root, results.RunsDir, name))
		if err != nil {
			t.Fatalf("runs/%s after the kill: %v", name, err)
		}
		if d.CodeVersion != CodeVersion() {
			t.Errorf("runs/%s: code version %q", name, d.CodeVersion)
		}
	}
	stale, _ := filepath.Glob(filepath.Join(root, TmpDir, "*."+pid+".*"))
	if len(stale) == 0 {
		t.Fatal("the kill left no temporary directory; the test did not kill mid-run")
	}

	// Run the grid again: stale tmp dirs go, done runs are kept, the
	// interrupted ones resume from their checkpoints.
	f := &fakeTrainer{batches: 1}
	sum, err := Execute(context.Background(), runs, opts(root, f))
	if err != nil || sum.Err() != nil {
		t.Fatalf("rerun: %v / %v", err, sum.Err())
	}
	if len(sum.Skipped) != len(before) || len(sum.Done)+len(sum.Skipped) != len(runs) {
		t.Errorf("rerun: %s; want the %d runs done before the kill skipped and the rest done", sum, len(before))
	}
	if len(sum.Cleaned) != len(stale) {
		t.Errorf("cleaned %v, want the killed process's %v", sum.Cleaned, stale)
	}
	for _, o := range sum.Skipped {
		if f.callCount(o.Run.ID) != 0 {
			t.Errorf("finished run %s trained again", o.Run.ID)
		}
	}
	if len(f.resumed) == 0 {
		t.Errorf("no run resumed from a checkpoint; calls %v", f.calls)
	}
	for id, ep := range f.resumed {
		if ep < 1 || ep > 4 {
			t.Errorf("run %s resumed after epoch %d, want 1..4", id, ep)
		}
	}
	checkTree(t, root, runs)
	// Every record holds each epoch exactly once although some were
	// trained by the killed process and the rest now (checked by checkTree);
	// and the DONE markers parse as JSON.
	for _, r := range runs {
		b, _ := os.ReadFile(filepath.Join(root, results.RunsDir, results.RunDirName(r), results.DoneFile))
		var d integrity.Done
		if err := json.Unmarshal(b, &d); err != nil || d.RunID != r.ID {
			t.Errorf("DONE of %s: %s (%v)", r.ID, b, err)
		}
	}
}
