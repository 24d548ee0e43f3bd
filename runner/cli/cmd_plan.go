package cli

import (
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"convlab/runner/exec"
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
seed, and whether its results already exist under the results directory.
The last line gives the total and, when a throughput is known, an estimate
of the wall time of the runs still to do.

Nothing is trained. An invalid file is reported with file:line:column.`,
		setup: func(fs *flag.FlagSet, e *env) func([]string) error {
			resultsDir := fs.String("results", "results", "directory that holds one results tree per experiment file")
			only := fs.String("only", "", "list only runs whose id matches this glob or regular expression")
			shard := fs.String("shard", "", "list only shard `i/n` of the grid, as run --shard would train it")
			return func(args []string) error {
				if len(args) == 0 {
					return usagef("no experiment file given")
				}
				files, err := loadTraining(args)
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "RUN\tSWEEPS\tARCH\tN\tL1\tEPOCHS\tSEED\tSTATUS")
				total := 0
				var todo []spec.Run
				for _, f := range files {
					runs, err := selectRuns(f.plan.Runs, *only, *shard)
					if err != nil {
						return err
					}
					root := filepath.Join(*resultsDir, f.name)
					for _, r := range runs {
						status := "to do"
						if id, err := exec.DataIdentity(r); err == nil && exec.IsDone(filepath.Join(root, exec.RunsDir, exec.DirName(r)), exec.Key(r, id)) {
							status = "done"
						} else {
							todo = append(todo, r)
						}
						fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%g\t%d\t%d\t%s\n", r.ID, strings.Join(r.Sweeps, ","), r.Arch.Name, r.N, r.L1, r.Epochs, r.Seed, status)
						total++
					}
				}
				if err := w.Flush(); err != nil {
					return err
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
				return nil
			}
		},
	})
}

// trainingFile is one experiment file of kind training with its own plan.
type trainingFile struct {
	path string
	name string // results/<name>
	plan *spec.Plan
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
		out = append(out, trainingFile{path: p, name: plan.Files[0].Name, plan: plan})
	}
	return out, nil
}

func selectRuns(runs []spec.Run, only, shard string) ([]spec.Run, error) {
	sel, err := exec.SelectOnly(runs, only)
	if err != nil {
		return nil, usagef("--only: %v", err)
	}
	if shard != "" {
		i, n, err := exec.ParseShard(shard)
		if err != nil {
			return nil, usagef("--shard: %v", err)
		}
		sel = exec.SelectShard(sel, i, n)
	}
	return sel, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
