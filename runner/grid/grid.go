// Package grid runs a grid of training runs: it skips the runs already done
// (a cache keyed by the run's content hash, the data set's identity and the
// training code's version), trains the others N at a time with crash-safe
// commits into the results tree, and gives training a per-run checkpoint
// directory to resume from. Its selection functions (SelectOnly,
// SelectShard) pick the runs to give Execute.
//
// Layout under Options.Root (results/<name>/):
//
//	runs/<dir>/           finished runs (results.RunDir); a run counts as done iff
//	                      runs/<dir>/DONE exists, records the run's current key,
//	                      and the files it lists have the sizes it records
//	tmp/<dir>.<pid>.<r>/  runs being trained by process pid (OWNER names the host)
//	checkpoints/<dir>/    per-epoch checkpoints of unfinished runs
//	quarantine/<dir>[.N]/ damaged run directories moved aside, never deleted
//	locks/<dir>.lock      advisory lock held while a process trains the run
//	.lock                 advisory lock serialising commits and AfterRuns across processes
//
// A run trains in its tmp directory; on success its files are written, then
// DONE, everything is fsynced and the directory is renamed into runs/ in one
// step (an older run directory is swapped out atomically). A process killed
// at any moment therefore leaves either the old state or the new one; the
// next Execute removes the tmp directories of dead processes.
package grid

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"convlab/internal/english"
	"convlab/runner/codeversion"
	"convlab/runner/integrity"
	"convlab/runner/progress"
	"convlab/runner/results"
	"convlab/runner/spec"
)

// CodeVersion names the training code. It is part of every run's cache
// key, so that a change to training trains every run again. It is derived
// from the training packages' source (see runner/codeversion), not typed.
func CodeVersion() string { return codeversion.Version() }

// TrainFunc trains one run. dir is the run's temporary directory, which
// becomes the run's results directory on success: training may write
// weights, checkpoints or a log there. Training reports its progress to p,
// reads its thread budget with Threads(ctx) and its checkpointer with
// CheckpointerFrom(ctx), and stops with ctx.Err() when ctx is done.
type TrainFunc func(ctx context.Context, run spec.Run, dir string, p progress.Reporter) (*results.Record, error)

// Options configure Execute.
type Options struct {
	// Jobs is how many runs train at once; 0 means 1.
	Jobs int
	// Cores is the thread budget split between the Jobs; 0 means
	// $SLURM_CPUS_PER_TASK when set, else runtime.NumCPU().
	Cores int
	// Force trains the runs even when they are done.
	Force bool
	// Root is the results tree of one experiment: results/<name>.
	Root string
	// Train trains one run; required.
	Train TrainFunc
	// Progress shows the progress; nil shows nothing.
	Progress progress.Sink
	// AfterRuns, when set, is called once after the runs when any was
	// committed (canceled grids included), holding the results tree's
	// lock, so that it may rewrite shared files such as runs.csv from the
	// whole tree: once a grid, not once a run, which would read the tree
	// as many times as it has runs. Its error ends up in Summary.Errors.
	AfterRuns func() error
	// DataIdentity names the content of the run's data set; nil means
	// DataIdentity (this package's function). Results are memoised per
	// data set and directory within one Execute (see Status).
	DataIdentity func(run spec.Run) (string, error)
}

// Outcome is what happened to one run.
type Outcome struct {
	Run     spec.Run
	Key     string
	Dir     string // runs/<dir> of a done or skipped run
	Err     error  // why a run failed or was canceled
	Elapsed time.Duration
}

// Summary lists what Execute did with every run it was given.
type Summary struct {
	Done     []Outcome // trained and committed now
	Skipped  []Outcome // already done with the same key
	Failed   []Outcome // training or committing failed
	Canceled []Outcome // stopped or never started because ctx was done
	// Errors are AfterRuns' errors (the runs are done nonetheless).
	Errors []error
	// Quarantined lists the damaged run directories moved aside (their
	// runs are trained again, and listed as done, failed or canceled).
	Quarantined []Quarantined
	// Cleaned lists stale temporary directories removed at the start.
	Cleaned []string
}

// Err is nil when every run is done or skipped and AfterRuns
// succeeded; otherwise it lists each failure.
func (s Summary) Err() error {
	var errs []error
	for _, o := range s.Failed {
		errs = append(errs, fmt.Errorf("run %s failed: %w", o.Run.ID, o.Err))
	}
	if n := len(s.Canceled); n > 0 {
		errs = append(errs, fmt.Errorf("%d run%s canceled", n, english.Plural(n)))
	}
	errs = append(errs, s.Errors...)
	return errors.Join(errs...)
}

// String is a one-line account such as "3 done, 2 skipped, 1 failed".
func (s Summary) String() string {
	out := fmt.Sprintf("%d done, %d skipped, %d failed", len(s.Done), len(s.Skipped), len(s.Failed))
	if len(s.Canceled) > 0 {
		out += fmt.Sprintf(", %d canceled", len(s.Canceled))
	}
	if len(s.Quarantined) > 0 {
		out += fmt.Sprintf(", %d damaged moved to %s/", len(s.Quarantined), QuarantineDir)
	}
	return out
}

// Key is a run's cache key: its content hash, its data set's identity and
// CodeVersion.
func Key(run spec.Run, dataID string) string {
	return run.Hash() + "|" + dataID + "|code-" + CodeVersion()
}

// Paths under Root besides results.RunsDir, and in a run's temporary
// directory besides results.DoneFile.
const (
	TmpDir         = "tmp"
	CheckpointsDir = "checkpoints"
	QuarantineDir  = "quarantine"
	LocksDir       = "locks"
	LockFile       = ".lock"
	OwnerFile      = "OWNER"
)

type job struct {
	run spec.Run
	key string
	// doneBefore is the run's DONE file as it was when Execute looked (nil
	// without one), so that a forced run that another process commits
	// meanwhile is not trained twice.
	doneBefore os.FileInfo
}

// Quarantined is a damaged run directory that Execute moved aside before
// training the run again.
type Quarantined struct {
	Run    spec.Run
	Dir    string // where it is now, under quarantine/
	Damage []integrity.Damage
}

// Execute trains the runs that are not done yet and commits each into
// opt.Root/runs; the caller selects the runs, e.g. with SelectOnly and
// SelectShard, and a run listed twice trains once. A failing run does not
// stop the others: it is listed in Summary.Failed. Execute returns an error
// for invalid options or a results tree it cannot use, and ctx.Err() when
// ctx was canceled (the runs it stopped are in Summary.Canceled, and
// nothing half-written counts as done).
//
// Each run trains under a lock of its own (root/locks/<dir>.lock), so that
// several processes on one results tree train every run once: a run that
// another process is training is put off until the others are done, then
// waited for, and skipped when that process committed it. A damaged run
// (see Status.Check) is moved to root/quarantine/ and trained again.
func Execute(ctx context.Context, runs []spec.Run, opt Options) (Summary, error) {
	var sum Summary
	if err := opt.validate(); err != nil {
		return sum, err
	}
	sink := opt.Progress
	if sink == nil {
		sink = progress.Discard
	}

	for _, d := range []string{results.RunsDir, TmpDir, CheckpointsDir, LocksDir} {
		if err := os.MkdirAll(filepath.Join(opt.Root, d), 0o755); err != nil {
			return sum, fmt.Errorf("results tree %s: %w", opt.Root, err)
		}
	}
	var err error
	sum.Cleaned, err = CleanStale(opt.Root)
	if err != nil {
		return sum, err
	}

	status := NewStatus(opt.DataIdentity)
	var todo []job
	seen := map[string]bool{}
	for _, run := range runs {
		name := results.RunDirName(run)
		if seen[name] {
			continue // the same run listed twice
		}
		seen[name] = true
		key, err := status.Key(run)
		if err != nil {
			sum.Failed = append(sum.Failed, Outcome{Run: run, Err: err})
			continue
		}
		if st, _ := status.Check(opt.Root, run); !opt.Force && st.IsDone() {
			// Checkpoints left by a process killed right after the commit.
			_ = os.RemoveAll(filepath.Join(opt.Root, CheckpointsDir, name))
			sum.Skipped = append(sum.Skipped, Outcome{Run: run, Key: key, Dir: results.RunDir(opt.Root, run)})
			continue
		}
		todo = append(todo, job{run, key, statDone(results.RunDir(opt.Root, run))})
	}
	if len(todo) == 0 {
		return sum, ctx.Err()
	}

	jobs := max(opt.Jobs, 1)
	jobs = min(jobs, len(todo))
	threads := max(cores(opt.Cores)/jobs, 1)

	lock := &treeLock{path: filepath.Join(opt.Root, LockFile)}
	var mu sync.Mutex // guards sum and commits
	commits := 0

	sink.Begin(len(todo))
	w := &worker{opt: opt, threads: threads, sink: sink, lock: lock, status: status}
	// pass trains the jobs, jobs at a time; with wait false it returns those
	// that another process is training, for a second pass that waits.
	pass := func(todo []job, wait bool) (busy []job) {
		queue := make(chan job)
		var wg sync.WaitGroup
		for range jobs {
			wg.Go(func() {
				for j := range queue {
					r := w.runOne(ctx, j, wait)
					mu.Lock()
					if r.quarantined != nil {
						sum.Quarantined = append(sum.Quarantined, *r.quarantined)
					}
					switch {
					case r.busy:
						busy = append(busy, j)
					case r.skipped:
						sum.Skipped = append(sum.Skipped, r.o)
					case r.o.Err == nil:
						sum.Done = append(sum.Done, r.o)
					case ctx.Err() != nil:
						sum.Canceled = append(sum.Canceled, r.o)
					default:
						sum.Failed = append(sum.Failed, r.o)
					}
					if r.rec != nil {
						commits++
					}
					mu.Unlock()
				}
			})
		}
		for i, j := range todo {
			if ctx.Err() == nil {
				select {
				case queue <- j:
					continue
				case <-ctx.Done():
				}
			}
			mu.Lock()
			for _, j := range todo[i:] {
				sum.Canceled = append(sum.Canceled, Outcome{Run: j.run, Key: j.key, Err: ctx.Err()})
			}
			mu.Unlock()
			break
		}
		close(queue)
		wg.Wait()
		return busy
	}
	busy := pass(todo, false)
	pass(busy, true)
	if opt.AfterRuns != nil && commits > 0 {
		if err := lock.with(opt.AfterRuns); err != nil {
			sum.Errors = append(sum.Errors, fmt.Errorf("after the runs: %w", err))
		}
	}
	sink.End()
	return sum, ctx.Err()
}

// worker trains single runs for Execute.
type worker struct {
	opt     Options
	threads int
	sink    progress.Sink
	lock    *treeLock
	status  *Status
}

// runResult is what runOne did: trained the run (o.Err nil, rec the
// committed record), failed, found it busy in another process (nothing
// done), or found it committed by another process (skipped).
type runResult struct {
	o           Outcome
	rec         *results.Record
	busy        bool
	skipped     bool
	quarantined *Quarantined
}

// runOne takes the run's lock (waiting for it when wait is set), checks
// the run again, moves a damaged run aside, then trains and commits it.
func (w *worker) runOne(ctx context.Context, j job, wait bool) (r runResult) {
	opt := w.opt
	r.o = Outcome{Run: j.run, Key: j.key}
	name := results.RunDirName(j.run)
	final := results.RunDir(opt.Root, j.run)
	unlock, ok, err := lockRun(ctx, filepath.Join(opt.Root, LocksDir, name+".lock"), wait)
	if err != nil {
		r.o.Err = err
		return r
	}
	if !ok {
		r.busy = true
		return r
	}
	defer unlock()

	start := time.Now()
	rep := w.sink.Start(progress.RunInfo{ID: j.run.ID, Epochs: j.run.Epochs})
	defer func() {
		r.o.Elapsed = time.Since(start)
		w.sink.Finish(j.run.ID, r.o.Err, r.o.Elapsed)
	}()

	// Another process may have committed the run, or damaged it, since
	// Execute looked.
	st, _ := w.status.Check(opt.Root, j.run)
	if st.IsDone() && (!opt.Force || !sameFile(statDone(final), j.doneBefore)) {
		r.o.Dir = final
		r.skipped = true
		return r
	}
	if st == StateDamaged {
		to, damage, err := quarantineIfDamaged(w.lock, opt.Root, final, false)
		if err != nil {
			r.o.Err = err
			return r
		}
		if to != "" {
			r.quarantined = &Quarantined{Run: j.run, Dir: to, Damage: damage}
		}
	}

	tmp, err := makeTmp(filepath.Join(opt.Root, TmpDir), name)
	if err != nil {
		r.o.Err = err
		return r
	}
	defer os.RemoveAll(tmp) // no-op after the commit renamed it

	ck := NewCheckpointer(filepath.Join(opt.Root, CheckpointsDir, name), j.key)
	tctx := WithCheckpointer(WithThreads(ctx, w.threads), ck)
	rec, err := safeTrain(tctx, opt.Train, j.run, tmp, rep)
	if err == nil && rec == nil {
		err = errors.New("training returned no record")
	}
	if err != nil {
		r.o.Err = err
		return r
	}
	if rec.Run.ID == "" {
		rec.Run = j.run
	}
	if rec.Hash == "" {
		rec.Hash = j.run.Hash()
	}
	if err := results.WriteRunFiles(tmp, rec); err != nil {
		r.o.Err = fmt.Errorf("write run files in %s: %w", tmp, err)
		return r
	}
	if err := writeDone(tmp, j.run, j.key); err != nil {
		r.o.Err = err
		return r
	}
	if err := syncTree(tmp); err != nil {
		r.o.Err = err
		return r
	}
	if err := w.lock.with(func() error { return commit(tmp, final) }); err != nil {
		r.o.Err = err
		return r
	}
	r.o.Dir = final
	r.rec = rec
	// The run is done: its checkpoints are of no more use (a leftover one
	// would only waste space, so an error here is not the run's).
	_ = ck.Clear()
	return r
}

// statDone describes the run directory's DONE file, nil without one. A
// commit writes a new file, so a DONE that is not the same file as before
// (os.SameFile: device and inode) was committed since; its content may be
// the same byte for byte.
func statDone(dir string) os.FileInfo {
	info, _ := os.Stat(filepath.Join(dir, results.DoneFile))
	return info
}

func sameFile(a, b os.FileInfo) bool {
	if a == nil || b == nil {
		return a == b
	}
	return os.SameFile(a, b)
}

// safeTrain calls train, turning a panic into an error so that one broken
// run does not take the grid down, then collects the garbage: the run's
// model (its graphs' activation, gradient and scratch buffers, tens of
// MiB) is garbage once train returns. Left to the collector's pace
// (GOGC), the dead models of the runs that end between two collections
// pile up until the heap is twice the live one; collected at once, their
// memory serves the next run's model and the peak stays near what the
// runs in progress hold.
func safeTrain(ctx context.Context, train TrainFunc, run spec.Run, dir string, p progress.Reporter) (rec *results.Record, err error) {
	defer runtime.GC()
	defer func() {
		if r := recover(); r != nil {
			rec, err = nil, fmt.Errorf("training panicked: %v\n%s", r, debug.Stack())
		}
	}()
	return train(ctx, run, dir, p)
}

func (opt *Options) validate() error {
	switch {
	case opt.Root == "":
		return errors.New("grid options: Root is empty; want the results directory of the experiment, e.g. results/<name>")
	case opt.Train == nil:
		return errors.New("grid options: Train is nil; want the function that trains one run")
	case opt.Jobs < 0:
		return fmt.Errorf("grid options: jobs %d is negative; want 1 or more runs at once", opt.Jobs)
	case opt.Cores < 0:
		return fmt.Errorf("grid options: cores %d is negative; want 0 (all) or more", opt.Cores)
	}
	return nil
}

// cores is the thread budget: n when positive, else $SLURM_CPUS_PER_TASK
// when set, else the machine's CPUs.
func cores(n int) int {
	if n > 0 {
		return n
	}
	if v, err := strconv.Atoi(os.Getenv("SLURM_CPUS_PER_TASK")); err == nil && v > 0 {
		return v
	}
	return runtime.NumCPU()
}
