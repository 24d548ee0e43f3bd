package cli

import (
	"flag"
	"fmt"
	"path/filepath"

	"convlab/internal/english"
	"convlab/runner/grid"
	"convlab/runner/integrity"
	"convlab/runner/results"
)

var cmdVerify = &command{
	name:  "verify",
	usage: "[flags] [FILE...]",
	short: "check every finished run's files against the SHA-256 and sizes its DONE records",
	long: `Verify reads every file of every finished run and compares its size and
SHA-256 with those the run's DONE recorded when it finished; 'plan' and
'run' compare only sizes, which is cheap but misses a changed byte. It
checks the results trees of the experiment files given, else RESULTS itself
when it is one tree (it holds runs/), else every tree under RESULTS.

Each damaged file is listed with its run; runs finished by a convlab that
did not record hashes are listed as unverified (they count as done, and
--force --only RUN trains one again to record them). The exit status is 1
when any damage was found. With --quarantine, damaged runs are moved to
<tree>/quarantine/ (never deleted), for the next 'run' to train again.`,
	setup: bind(runVerify),
}

// verifyOptions are the flags of verify.
type verifyOptions struct {
	resultsDir string
	move       bool
}

func (o *verifyOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.resultsDir, "results", "results", "directory that holds one results tree per experiment file, or one results tree")
	fs.BoolVar(&o.move, "quarantine", false, "move damaged runs to <tree>/quarantine/ so that the next run trains them again")
}

func runVerify(e *env, opts *verifyOptions, args []string) error {
	roots, err := verifyRoots(opts.resultsDir, args)
	if err != nil {
		return err
	}
	damagedRuns := 0
	for _, root := range roots {
		n, err := verifyTree(e, root, opts.move)
		if err != nil {
			return err
		}
		damagedRuns += n
	}
	if damagedRuns > 0 {
		return exitError{1}
	}
	return nil
}

// verifyRoots are the results trees to check: those of the experiment
// files, else dir when it is a tree, else the trees under dir.
func verifyRoots(dir string, files []string) ([]string, error) {
	if len(files) > 0 {
		loaded, _, err := loadFiles(files, nil)
		if err != nil {
			return nil, err
		}
		if len(loaded) == 0 {
			return nil, usagef("no training experiment file among %d given", len(files))
		}
		var roots []string
		for _, f := range loaded {
			roots = append(roots, filepath.Join(dir, f.name))
		}
		return roots, nil
	}
	roots, err := treesAt(dir)
	if err != nil {
		return nil, err
	}
	if len(roots) == 0 {
		return nil, fmt.Errorf("%s holds no results tree (a directory with %s/); give --results DIR or experiment files", dir, results.RunsDir)
	}
	return roots, nil
}

// verifyTree checks every run directory under root/runs, hashes included,
// prints what it finds and returns how many runs are damaged.
func verifyTree(e *env, root string, move bool) (int, error) {
	dirs, err := results.RunDirs(root)
	if err != nil {
		return 0, fmt.Errorf("verify %s: %w", root, err)
	}
	ok, unverified, damaged := 0, 0, 0
	for _, dir := range dirs {
		d, damage := integrity.CheckRunDir(dir, true)
		switch {
		case len(damage) > 0:
			damaged++
			for _, dm := range damage {
				fmt.Fprintf(e.stdout, "damaged: %s: %s: %s\n", dir, dm.File, dm.Problem)
			}
			if move {
				to, err := grid.Quarantine(root, dir)
				if err != nil {
					return damaged, err
				}
				if to != "" {
					fmt.Fprintf(e.stdout, "moved %s to %s\n", dir, to)
				}
			}
		case !d.Verified():
			unverified++
			fmt.Fprintf(e.stdout, "unverified: %s: its DONE records no file hashes (written by an older convlab)\n", dir)
		default:
			ok++
		}
	}
	fmt.Fprintf(e.stdout, "%s: %d run%s: %d intact, %d damaged, %d unverified\n", root, ok+damaged+unverified, english.Plural(ok+damaged+unverified), ok, damaged, unverified)
	return damaged, nil
}

// warnDamage names each damaged run and file on standard error; what says
// what became of them, e.g. "left out of the report".
func warnDamage(e *env, file string, damage []integrity.Damage, what string) {
	for _, d := range damage {
		fmt.Fprintf(e.stderr, "convlab: %s: damaged run %s: %s: %s (%s)\n", file, d.Dir, d.File, d.Problem, what)
	}
}
