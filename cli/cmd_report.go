package cli

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"slices"

	"convlab/convolution"
	"convlab/internal/english"
	"convlab/report"
	"convlab/runner/integrity"
	"convlab/runner/spec"
)

var cmdReport = &command{
	name:  "report",
	usage: "[flags] FILE|RESULTS_DIR...",
	short: "rebuild tables, figures and REPORT.md from stored results, without training",
	long: `Report reads the finished runs of each experiment file under
RESULTS/<name>/ and writes runs.csv, one CSV per table of the study, the
PNG figures and REPORT.md into that directory. It trains nothing, so it
takes seconds; regenerating from the same results gives the same files.
Runs written by several shards (run --shard, or Slurm array tasks) into one
results tree are all included. Convolution files rebuild Figure 1.

An argument that is a results directory (results/<name>) is rebuilt from
its own sweeps.json, which every run and report writes, so the experiment
file is not needed; runs trained with -S or -m overrides are found the same
way.

A finished run whose files no longer match the sizes its DONE records, or
do not parse, is left out of every table and figure; REPORT.md and standard
error name each such run and file. With --strict that is an error and
nothing is written.`,
	setup: bind(runReport),
}

// reportOptions are the flags of report.
type reportOptions struct {
	resultsDir string
	strict     bool
	overrides  *[]spec.Override
	formats    *formatsFlag
}

func (o *reportOptions) flags(fs *flag.FlagSet) {
	resultsFlag(fs, &o.resultsDir)
	fs.BoolVar(&o.strict, "strict", false, "fail, writing nothing, when a finished run's files are damaged (by default such runs are left out and named)")
	o.overrides = overrideFlags(fs)
	o.formats = addFormatsFlag(fs)
}

func runReport(e *env, opts *reportOptions, args []string) error {
	if len(args) == 0 {
		return usagef("no experiment file given")
	}
	// A results directory rebuilds from its own sweeps.json,
	// without the experiment file.
	var dirs []string
	args = slices.DeleteFunc(slices.Clone(args), func(a string) bool {
		if isDir(a) {
			dirs = append(dirs, a)
			return true
		}
		return false
	})
	var errs []error
	for _, root := range dirs {
		if err := checkResultsDir(root); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	var files []trainingFile
	var convs []*convolution.Experiment
	if len(args) > 0 {
		var err error
		if files, convs, err = loadFiles(args, *opts.overrides); err != nil {
			return err
		}
	}
	// Each results tree to rebuild: a results directory from its
	// own sweeps.json, an experiment file's from its plan.
	type target struct {
		label, root string
		plan        []*spec.Plan
	}
	var targets []target
	for _, root := range dirs {
		targets = append(targets, target{label: root, root: root})
	}
	for _, f := range files {
		targets = append(targets, target{label: f.path, root: filepath.Join(opts.resultsDir, f.name), plan: []*spec.Plan{f.plan}})
	}
	prepared := make([]*report.Prepared, len(targets))
	if opts.strict {
		// Nothing is written, Figure 1 included, while any tree has
		// damaged runs or cannot be read; each tree is read once, here.
		var damaged []integrity.Damage
		for i, t := range targets {
			p, err := report.Prepare(t.root, opts.formats.options(), t.plan...)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", t.label, err))
				continue
			}
			warnDamage(e, t.label, p.Damage(), "--strict: no report written")
			damaged = append(damaged, p.Damage()...)
			prepared[i] = p
		}
		if len(damaged) > 0 {
			errs = append(errs, fmt.Errorf("--strict: %d damaged file%s in finished runs; no report written ('convlab run' quarantines and retrains them)", len(damaged), english.Plural(len(damaged))))
		}
		if len(errs) > 0 {
			return errors.Join(errs...)
		}
	}
	// A failing file does not stop the others, as in run: every error is
	// reported at the end.
	for _, c := range convs {
		dir, err := convolution.RunExperiment(c, opts.resultsDir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(e.stdout, "%s: figure 1 in %s\n", c.Path, dir)
	}
	for i, t := range targets {
		p, err := prepared[i], error(nil)
		if p == nil {
			p, err = report.Prepare(t.root, opts.formats.options(), t.plan...)
		}
		if err == nil {
			err = p.Write()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", t.label, err))
			continue
		}
		warnDamage(e, t.label, p.Damage(), "left out of the report")
		fmt.Fprintf(e.stdout, "%s: %s\n", t.label, filepath.Join(t.root, report.ReportFile))
	}
	return errors.Join(errs...)
}

// checkResultsDir insists that root looks like a results tree, so that a
// mistyped directory is an error rather than an empty report.
func checkResultsDir(root string) error {
	if isResultsTree(root) {
		return nil
	}
	return fmt.Errorf("%s: not a results directory (no %s and no runs/); give an experiment file or a directory such as results/<name>", root, report.IndexFile)
}
