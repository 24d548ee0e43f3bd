package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"

	"convlab/convolution"
	"convlab/report"
	"convlab/runner/dataset"
	"convlab/runner/grid"
	"convlab/runner/progress"
	"convlab/runner/progress/live"
	"convlab/runner/results"
	"convlab/runner/spec"
)

var cmdRun = &command{
	name:  "run",
	usage: "[flags] FILE...",
	short: "train every run of experiment files that is not done, then write the report",
	long: `Run validates every experiment file (nothing runs when any is invalid),
then trains the runs of each training file whose results do not exist yet
and writes them under RESULTS/<name>/runs/<run id>-<hash>/. After the runs
it rebuilds the tables, figures and REPORT.md of each file, as
'convlab report' does. Files of kind convolution (part i of the study)
write Figure 1 and its images instead, as 'convlab conv' does.

A run's results appear only when it is complete; a run interrupted at any
moment (Ctrl-C, kill -9, a crash, a full disk) leaves nothing that counts
as done and resumes from its last epoch checkpoint on the next 'run'. A
failing run does not stop the others: the summary lists it and the exit
status is 1. A finished run whose files no longer have the sizes its DONE
records is moved to RESULTS/<name>/quarantine/ and trained again. Several
'run' processes on one results tree train each run once (a lock per run).

On a terminal, progress is a live bar per running run plus the grid's total;
elsewhere it is one plain line per epoch. Progress and failures go to
standard error; the final summary (per file: runs done, skipped, failed,
and where the report is) to standard output.

--json prints the summary as {"schema": "convlab.run/1", "ok", "files":
[{"path", "results", "report", "done", "skipped", "failed", "canceled"}],
"convolutions": [{"path", "dir", "error"}], "errors"}, each run as {"id",
"dir", "seconds", "error"}; "ok" is true when the exit status is 0. Fields
are never renamed or retyped under the same schema; new ones may be added.`,
	setup: bind(runRun),
}

func runRun(e *env, opts *runOptions, args []string) error {
	if len(args) == 0 {
		return usagef("no experiment file given")
	}
	return runFiles(e, args, *opts)
}

// runOptions are the flags of run.
type runOptions struct {
	results  string
	jobs     int
	cores    int
	force    bool
	only     string
	shard    string
	noReport bool
	json     bool
	formats  *formatsFlag
	// overrides are the -S and -m settings.
	overrides *[]spec.Override
}

func (o *runOptions) flags(fs *flag.FlagSet) {
	resultsFlag(fs, &o.results)
	fs.IntVar(&o.jobs, "j", 1, "number of runs that train at once; the cores are split between them")
	fs.IntVar(&o.cores, "cores", 0, "cores to use in all (0: $SLURM_CPUS_PER_TASK when set, else every core)")
	fs.BoolVar(&o.force, "force", false, "train the selected runs again even when their results exist")
	fs.StringVar(&o.only, "only", "", "train only runs whose id matches this glob or regular expression")
	fs.StringVar(&o.shard, "shard", "", "train only shard `i/n` of the grid (1-based), e.g. 2/4; shards share one results tree")
	fs.BoolVar(&o.noReport, "no-report", false, "do not rebuild the report after the runs")
	o.overrides = overrideFlags(fs)
	fs.BoolVar(&o.json, "json", false, "print the final summary as JSON (schema "+runSchema+", see 'convlab help run')")
	o.formats = addFormatsFlag(fs)
}

// trainingGCPercent is the collector's target while runs train, unless
// GOGC says otherwise. A run's heap is mostly buffers that live as long as
// the run, and a step allocates little, so collecting once the heap is a
// quarter above the live one, rather than Go's default of double, costs no
// measurable time and keeps a grid's peak memory near what its runs hold
// (two strided runs of n 5,000, -j 2: peak RSS 284 -> 231 MiB).
const trainingGCPercent = 25

func runFiles(e *env, args []string, o runOptions) error {
	if o.jobs < 1 {
		return usagef("-j must be at least 1, not %d", o.jobs)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(trainingGCPercent)
	}
	sel, err := parseSelection(o.only, o.shard)
	if err != nil {
		return err
	}
	files, convs, err := loadFiles(args, *o.overrides)
	if err != nil {
		return err
	}
	if err := sel.apply(files); err != nil {
		return err
	}
	// Convolution files need no data set: they run even when a training
	// file's data is missing (offline, before CIFAR-10 is downloaded).
	// The summary goes to standard output, as text or (--json) as the
	// convlab.run/1 document; progress and failures to standard error.
	summary := jsonRunSummary{Schema: runSchema, Files: []jsonFileResult{}, Convolutions: []jsonConvResult{}, Errors: []string{}}
	say := func(format string, args ...any) {
		if !o.json {
			fmt.Fprintf(e.stdout, format, args...)
		}
	}
	var failed []error
	for _, c := range convs {
		dir, err := convolution.RunExperiment(c, o.results)
		if err != nil {
			failed = append(failed, err)
			summary.Convolutions = append(summary.Convolutions, jsonConvResult{Path: c.Path, Error: err.Error()})
			continue
		}
		summary.Convolutions = append(summary.Convolutions, jsonConvResult{Path: c.Path, Dir: dir})
		say("%s: figure 1 written to %s\n", c.Path, dir)
	}
	// One status for the checks before training and for the runner, so
	// that each data set is hashed once. A file whose data cannot be read
	// is not trained; the others are, and the run fails at the end.
	status := grid.NewStatus(nil)
	noData, dataErr := loadData(files, o, status)
	if dataErr != nil {
		if len(noData) == len(files) && len(convs) == 0 {
			return dataErr
		}
		failed = append(failed, dataErr)
		summary.Errors = append(summary.Errors, dataErr.Error())
		files = slices.DeleteFunc(files, func(f trainingFile) bool { return noData[f.path] })
	}
	var prov results.Provenance
	if len(files) > 0 {
		prov = provenance(o.results)
	}
	for _, f := range files {
		if len(f.runs) == 0 {
			// --only matched runs of other files only, or the shard is empty.
			fmt.Fprintf(e.stderr, "convlab: %s: no run selected\n", f.path)
			continue
		}
		root := filepath.Join(o.results, f.name)
		sink := progressSink(e.stderr)
		sum, err := grid.Execute(e.ctx, f.runs, grid.Options{
			Jobs:         o.jobs,
			Cores:        o.cores,
			Force:        o.force,
			Root:         root,
			Train:        trainRun(prov),
			Progress:     sink,
			DataIdentity: status.Identity,
			AfterRuns:    func() error { return report.WriteRunsCSV(root, f.plan) },
		})
		for _, q := range sum.Quarantined {
			for _, d := range q.Damage {
				fmt.Fprintf(e.stderr, "convlab: %s: damaged run %s (%s: %s) moved to %s; training it again\n", f.path, q.Run.ID, d.File, d.Problem, q.Dir)
			}
		}
		say("%s: %s\n", f.path, sum)
		res := jsonFileResult{Path: f.path, Results: root, Done: jsonOutcomes(root, sum.Done), Skipped: jsonOutcomes(root, sum.Skipped),
			Failed: jsonOutcomes(root, sum.Failed), Canceled: jsonOutcomes(root, sum.Canceled)}
		for _, err := range sum.Errors {
			summary.Errors = append(summary.Errors, fmt.Sprintf("%s: %v", f.path, err))
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("%s: %w", f.path, err)
		}
		if e.ctx.Err() != nil {
			return e.ctx.Err()
		}
		if serr := sum.Err(); serr != nil {
			failed = append(failed, fmt.Errorf("%s: %w", f.path, serr))
		}
		if !o.noReport {
			if damage, err := report.BuildWith(root, o.formats.options(), f.plan); err != nil {
				failed = append(failed, fmt.Errorf("%s: report: %w", f.path, err))
				summary.Errors = append(summary.Errors, fmt.Sprintf("%s: report: %v", f.path, err))
			} else {
				warnDamage(e, f.path, damage, "left out of the report")
				res.Report = filepath.Join(root, report.ReportFile)
				say("%s: report written to %s\n", f.path, res.Report)
			}
		}
		summary.Files = append(summary.Files, res)
	}
	if o.json {
		summary.OK = len(failed) == 0
		if err := writeJSON(e.stdout, summary); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		for _, err := range failed {
			fmt.Fprintf(e.stderr, "convlab run: %v\n", err)
		}
		return exitError{1}
	}
	return nil
}

// loadData reads, once each, the data sets of the runs that will train, and
// checks that each holds the n images its runs ask for, so that a missing,
// corrupt or too small data set is one error before anything trains rather
// than the same failure once per run. Runs that are done need no data, so
// a finished grid still reports on a machine without it.
func loadData(files []trainingFile, o runOptions, status *grid.Status) (noData map[string]bool, err error) {
	type source struct{ name, dir string }
	type loaded struct {
		train *dataset.Set
		err   error
	}
	sets := map[source]*loaded{}
	var errs []error
	noData = map[string]bool{}
	for _, f := range files {
		root := filepath.Join(o.results, f.name)
		for _, r := range f.runs {
			if !o.force && status.Done(root, r) {
				continue
			}
			src := source{r.Dataset, r.DataDir}
			set, ok := sets[src]
			if !ok {
				set = &loaded{}
				set.train, _, set.err = dataset.LoadCached(r.Dataset, r.DataDir)
				sets[src] = set
			}
			if set.err != nil {
				if !noData[f.path] {
					errs = append(errs, fmt.Errorf("%s: data set %s: %w", f.path, r.Dataset, set.err))
				}
				noData[f.path] = true
			} else if err := dataset.CheckN(r.Dataset, r.DataDir, set.train, r.N); err != nil {
				errs = append(errs, fmt.Errorf("%s: run %s: %w", f.path, r.ID, err))
				noData[f.path] = true
			}
		}
	}
	switch {
	case len(errs) == 0:
		return noData, nil
	case len(noData) == len(files):
		errs = append(errs, errors.New("nothing was trained"))
	default:
		for _, f := range files {
			if noData[f.path] {
				errs = append(errs, fmt.Errorf("%s: nothing of this file was trained", f.path))
			}
		}
	}
	return noData, errors.Join(errs...)
}

// progressSink shows live bars when w is a terminal, else plain lines.
func progressSink(w io.Writer) progress.Sink {
	if f, ok := w.(*os.File); ok {
		return live.Auto(f)
	}
	return live.New(w, live.Options{})
}
