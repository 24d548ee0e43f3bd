package cli

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"convlab/report/figure1"
	"convlab/runner/exec"
	"convlab/runner/results"
	"convlab/runner/spec"
)

func init() {
	register(&command{
		name:  "plan",
		usage: "[flags] FILE...",
		short: "print the expanded grid of experiment files without training",
		long: `Plan loads and validates the experiment files, expands every sweep into
its runs (identical runs reached from several sweeps are one run) and prints
one line per run: its id, the sweeps it feeds, architecture, n, l1, epochs,
seed, and its status under the results directory: to do, done, done
(unverified) for a run whose DONE predates file hashes, or damaged for one
whose files no longer have the sizes its DONE records (each damaged file is
listed below the table).
The last line gives the total and, when a throughput is known, an estimate
of the wall time of the runs still to do.

Files of kind convolution (part i of the study) are listed after the grid,
one line each: the photo, the channels and kernels it convolves, and
whether its Figure 1 already exists.

Nothing is trained. An invalid file is reported with file:line:column.`,
		setup: func(fs *flag.FlagSet, e *env) func([]string) error {
			resultsDir := fs.String("results", "results", "directory that holds one results tree per experiment file")
			only := fs.String("only", "", "list only runs whose id matches this glob or regular expression")
			shard := fs.String("shard", "", "list only shard `i/n` of the grid, as run --shard would train it")
			return func(args []string) error {
				if len(args) == 0 {
					return usagef("no experiment file given")
				}
				sel, err := parseSelection(*only, *shard)
				if err != nil {
					return err
				}
				files, convs, err := loadFiles(args)
				if err != nil {
					return err
				}
				if len(files) == 0 {
					return planConvolution(e, convs, *resultsDir)
				}
				if err := sel.apply(files); err != nil {
					return err
				}
				w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "RUN\tSWEEPS\tARCH\tN\tL1\tEPOCHS\tSEED\tSTATUS")
				total := 0
				var todo []spec.Run
				var damaged []results.Damage
				done := exec.NewStatus(nil)
				for _, f := range files {
					root := filepath.Join(*resultsDir, f.name)
					for _, r := range f.runs {
						st, damage := done.Check(root, r)
						if !st.IsDone() {
							todo = append(todo, r)
						}
						damaged = append(damaged, damage...)
						fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%g\t%d\t%d\t%s\n", r.ID, strings.Join(r.Sweeps, ","), r.Arch.Name, r.N, r.L1, r.Epochs, r.Seed, st)
						total++
					}
				}
				if err := w.Flush(); err != nil {
					return err
				}
				for _, d := range damaged {
					fmt.Fprintf(e.stdout, "damaged: %v (the next run moves it to %s/ and trains it again)\n", d, exec.QuarantineDir)
				}
				fmt.Fprintf(e.stdout, "%d run%s, %d to do", total, plural(total), len(todo))
				if len(todo) > 0 {
					if d, how, ok := estimateTime(*resultsDir, todo); ok {
						fmt.Fprintf(e.stdout, ", about %s of training with one run at a time (%s)", d.Round(time.Second), how)
					} else {
						fmt.Fprint(e.stdout, " (no time estimate: run 'convlab bench' or finish a run of each architecture first)")
					}
				}
				fmt.Fprintln(e.stdout)
				if len(convs) > 0 {
					fmt.Fprintln(e.stdout)
					return planConvolution(e, convs, *resultsDir)
				}
				return nil
			}
		},
	})
}

// loadFiles sorts experiment files by kind and validates all of them:
// training files together (nothing runs when any is invalid), convolution
// files with their photos.
func loadFiles(paths []string) ([]trainingFile, []*figure1.Experiment, error) {
	convFiles, trainFiles, err := splitKinds(paths)
	if err != nil {
		return nil, nil, err
	}
	var files []trainingFile
	if len(trainFiles) > 0 {
		if files, err = loadTraining(trainFiles); err != nil {
			return nil, nil, err
		}
	}
	convs, err := loadConvolution(convFiles)
	if err != nil {
		return nil, nil, err
	}
	return files, convs, nil
}

// loadConvolution validates every convolution file, photo included, and
// reports all the problems together.
func loadConvolution(paths []string) ([]*figure1.Experiment, error) {
	var out []*figure1.Experiment
	var errs []error
	for _, p := range paths {
		exp, err := figure1.Load(p)
		if err == nil {
			err = exp.CheckImage()
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, exp)
	}
	return out, errors.Join(errs...)
}

// planConvolution prints one line per convolution file: what it convolves
// and whether its figure is already written.
func planConvolution(e *env, convs []*figure1.Experiment, resultsDir string) error {
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "CONVOLUTION\tIMAGE\tCHANNELS\tKERNELS\tSTATUS")
	for _, c := range convs {
		names := make([]string, len(c.Kernels))
		for i, k := range c.Kernels {
			size := len(k.Kernel)
			names[i] = fmt.Sprintf("%s (%dx%d)", k.Name, size, size)
		}
		status := "to do"
		if _, err := os.Stat(filepath.Join(resultsDir, c.Name, "figure1.png")); err == nil {
			status = "done"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", c.Name, c.Image, strings.Join(c.Channels, ","), strings.Join(names, ", "), status)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d convolution file%s\n", len(convs), plural(len(convs)))
	return nil
}

// trainingFile is one experiment file of kind training with its own plan.
type trainingFile struct {
	path string
	name string // results/<name>
	plan *spec.Plan
	// runs are the runs of the plan that --only and --shard select (see
	// selection.apply).
	runs []spec.Run
}

// loadTraining validates every file together (nothing runs when any is
// invalid) and returns each file's own plan.
func loadTraining(paths []string) ([]trainingFile, error) {
	if _, err := spec.Load(paths...); err != nil {
		return nil, err
	}
	var out []trainingFile
	for _, p := range paths {
		plan, err := spec.Load(p)
		if err != nil {
			return nil, err
		}
		out = append(out, trainingFile{path: p, name: plan.Files[0].Name, plan: plan, runs: plan.Runs})
	}
	return out, nil
}

// selection is the runs --only and --shard select.
type selection struct {
	only          string
	shard, shards int // shards 0: no sharding
}

// parseSelection checks the values of --only and --shard.
func parseSelection(only, shard string) (selection, error) {
	s := selection{only: only}
	if only != "" {
		if _, err := exec.Matcher(only); err != nil {
			return s, usagef("%v", err)
		}
	}
	if shard != "" {
		var err error
		if s.shard, s.shards, err = exec.ParseShard(shard); err != nil {
			return s, usagef("%v", err)
		}
	}
	return s, nil
}

// apply sets the runs of each file to those the selection picks: the runs
// whose ID --only matches, then shard i/n of them. The pattern may match
// the runs of only some files; matching none in all of them is a usage
// error that lists the runs' IDs.
func (s selection) apply(files []trainingFile) error {
	matched := 0
	for i := range files {
		runs, err := exec.SelectOnly(files[i].plan.Runs, s.only)
		if err != nil {
			return usagef("%v", err)
		}
		matched += len(runs)
		if s.shards > 0 {
			runs = exec.SelectShard(runs, s.shard, s.shards)
		}
		files[i].runs = runs
	}
	if s.only == "" || matched > 0 {
		return nil
	}
	var ids []string
	for _, f := range files {
		for _, r := range f.plan.Runs {
			ids = append(ids, r.ID)
		}
	}
	const maxShown = 20
	shown := ids
	if len(shown) > maxShown {
		shown = append(shown[:maxShown:maxShown], fmt.Sprintf("... (%d more)", len(ids)-maxShown))
	}
	return usagef("--only %q matches none of the %d runs; run ids: %s", s.only, len(ids), strings.Join(shown, ", "))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
