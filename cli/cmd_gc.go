package cli

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"convlab/internal/english"
	"convlab/report"
	"convlab/runner/results"
	"convlab/runner/spec"
)

var cmdGC = &command{
	name:  "gc",
	usage: "[flags] [FILE...]",
	short: "list (or --delete) run directories no experiment file reaches any more",
	long: `Gc finds the finished runs under RESULTS/<name>/runs/ that none of the
experiment files (default: every file of experiments/) declares any more,
after an edit of a grid for example, and lists them with their size. It is
a dry run unless --delete is given, which removes them.

A run counts as reached when a file whose results go to RESULTS/<name>
declares it (with -S and -m applied, when given), or when that tree's
sweeps.json lists it: the runs of the last report, overridden ones
included. Results trees that no given file names are left alone, as are
runs still training (RESULTS/<name>/tmp/). Every file must be valid: an
invalid file could reach runs that would otherwise be removed.`,
	setup: bind(runGC),
}

// gcOptions are the flags of gc.
type gcOptions struct {
	resultsDir string
	del        bool
	overrides  *[]spec.Override
}

func (o *gcOptions) flags(fs *flag.FlagSet) {
	resultsFlag(fs, &o.resultsDir)
	fs.BoolVar(&o.del, "delete", false, "remove the unreached run directories (default: only list them)")
	o.overrides = overrideFlags(fs)
}

func runGC(e *env, opts *gcOptions, args []string) error {
	if len(args) == 0 {
		all, err := filepath.Glob(filepath.Join("experiments", "*.yaml"))
		if err != nil || len(all) == 0 {
			return usagef("no experiment file given, and none in experiments/")
		}
		args = all
	}
	files, _, err := loadFiles(args, *opts.overrides)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("no training experiment file among %d given", len(args))
	}
	reached := map[string]map[string]bool{} // tree name -> run dir names
	for _, f := range files {
		if reached[f.name] == nil {
			reached[f.name] = map[string]bool{}
		}
		for _, r := range f.plan.Runs {
			reached[f.name][results.RunDirName(r)] = true
		}
	}
	names := make([]string, 0, len(reached))
	for n := range reached {
		names = append(names, n)
	}
	sort.Strings(names)
	var stale []string
	var total int64
	for _, name := range names {
		root := filepath.Join(opts.resultsDir, name)
		sweeps, _, err := report.ReadPlanIndex(root)
		if err != nil {
			return err
		}
		for _, s := range sweeps {
			for _, d := range s.RunDirs {
				reached[name][d] = true
			}
		}
		dirs, err := results.RunDirs(root)
		if err != nil {
			return err
		}
		for _, dir := range dirs {
			if reached[name][filepath.Base(dir)] {
				continue
			}
			if _, err := os.Stat(filepath.Join(dir, results.DoneFile)); err != nil {
				continue // not a finished run (being replaced): not ours to remove
			}
			size := dirSize(dir)
			total += size
			stale = append(stale, dir)
			fmt.Fprintf(e.stdout, "%s\t%s\n", formatBytes(size), dir)
		}
	}
	if trees, err := resultTrees(opts.resultsDir); err == nil {
		for _, t := range trees {
			if reached[filepath.Base(t)] == nil {
				fmt.Fprintf(e.stderr, "convlab gc: %s: no experiment file given has its results there; left alone\n", t)
			}
		}
	}
	if len(stale) == 0 {
		fmt.Fprintln(e.stdout, "no unreached runs")
		return nil
	}
	if !opts.del {
		fmt.Fprintf(e.stdout, "%d unreached run%s, %s; 'convlab gc --delete' removes them\n", len(stale), english.Plural(len(stale)), formatBytes(total))
		return nil
	}
	for _, dir := range stale {
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("remove %s: %w", dir, err)
		}
	}
	fmt.Fprintf(e.stdout, "removed %d unreached run%s, %s\n", len(stale), english.Plural(len(stale)), formatBytes(total))
	return nil
}

// dirSize is the total size of the regular files under dir.
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// formatBytes writes a size as du -h does: 1.2M, 340K, 12B.
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	v, suffix := float64(n)/unit, "K"
	for _, s := range []string{"M", "G", "T"} {
		if v < unit {
			break
		}
		v, suffix = v/unit, s
	}
	return fmt.Sprintf("%.1f%s", v, suffix)
}
