package cli

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"convlab/arch"
	"convlab/report"
	"convlab/report/figure1"
	"convlab/runner/dataset"
	"convlab/runner/results"
	"convlab/runner/slurm"
	"convlab/runner/spec"
)

func init() {
	register(&command{
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
		setup: func(fs *flag.FlagSet, e *env) func([]string) error {
			resultsDir := fs.String("results", "results", "directory that holds one results tree per experiment file")
			strict := fs.Bool("strict", false, "fail, writing nothing, when a finished run's files are damaged (by default such runs are left out and named)")
			overrides := overrideFlags(fs)
			formats := addFormatsFlag(fs)
			return func(args []string) error {
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
				for _, root := range dirs {
					if err := checkResultsDir(root); err != nil {
						return err
					}
				}
				convFiles, trainFiles, err := splitKinds(args)
				if err != nil {
					return err
				}
				var files []trainingFile
				if len(trainFiles) > 0 {
					if files, err = loadTraining(trainFiles, *overrides); err != nil {
						return err
					}
				}
				for _, c := range convFiles {
					dir, err := figure1.Run(c, *resultsDir)
					if err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "%s: figure 1 in %s\n", c, dir)
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
					targets = append(targets, target{label: f.path, root: filepath.Join(*resultsDir, f.name), plan: []*spec.Plan{f.plan}})
				}
				var damaged []results.Damage
				for _, t := range targets {
					if *strict {
						// Nothing is written from a tree with damaged runs.
						_, damage, err := results.ReadIntact(t.root)
						if err != nil {
							return fmt.Errorf("%s: %w", t.label, err)
						}
						warnDamage(e, t.label, damage, "--strict: no report written")
						damaged = append(damaged, damage...)
						continue
					}
					damage, err := report.BuildWith(t.root, formats.options(), t.plan...)
					if err != nil {
						return fmt.Errorf("%s: %w", t.label, err)
					}
					warnDamage(e, t.label, damage, "left out of the report")
					fmt.Fprintf(e.stdout, "%s: %s\n", t.label, filepath.Join(t.root, "REPORT.md"))
				}
				if *strict && len(damaged) > 0 {
					return fmt.Errorf("--strict: %d damaged file%s in finished runs; no report written ('convlab run' quarantines and retrains them)", len(damaged), plural(len(damaged)))
				}
				if *strict {
					for _, t := range targets {
						if _, err := report.BuildWith(t.root, formats.options(), t.plan...); err != nil {
							return fmt.Errorf("%s: %w", t.label, err)
						}
						fmt.Fprintf(e.stdout, "%s: %s\n", t.label, filepath.Join(t.root, "REPORT.md"))
					}
				}
				return nil
			}
		},
	})

	register(&command{
		name:  "summary",
		usage: "[flags] ARCH|FILE...",
		short: "print the Keras-style summary of architectures",
		long: `Summary prints a table in the style of Keras' model.summary(): each layer
with its output shape and parameter count, then the totals. An argument is
a preset name (` + strings.Join(arch.PresetNames(), ", ") + `) or an experiment
file, whose every distinct architecture is summarised.`,
		setup: func(fs *flag.FlagSet, e *env) func([]string) error {
			input := fs.String("input", "32x32x3", "input shape HxWxC for presets (Fashion-MNIST is 28x28x1)")
			return func(args []string) error {
				if len(args) == 0 {
					return usagef("no architecture or file given")
				}
				in, err := parseShape(*input)
				if err != nil {
					return usagef("--input: %v", err)
				}
				for i, a := range args {
					if i > 0 {
						fmt.Fprintln(e.stdout)
					}
					if p, err := arch.Preset(a); err == nil {
						s, err := arch.Summary(p, in)
						if err != nil {
							return err
						}
						fmt.Fprint(e.stdout, s)
						continue
					}
					if _, err := os.Stat(a); err != nil {
						return usagef("%q is neither a preset (%s) nor an experiment file", a, strings.Join(arch.PresetNames(), ", "))
					}
					plan, err := spec.Load(a)
					if err != nil {
						return err
					}
					seen := map[string]bool{}
					for _, r := range plan.Runs {
						key := r.Arch.Name + "|" + r.Dataset
						if seen[key] {
							continue
						}
						seen[key] = true
						shape, err := datasetShape(r.Dataset)
						if err != nil {
							return err
						}
						s, err := arch.Summary(r.Network(), shape)
						if err != nil {
							return err
						}
						if len(seen) > 1 {
							fmt.Fprintln(e.stdout)
						}
						fmt.Fprintf(e.stdout, "%s on %s\n%s", r.Arch.Name, r.Dataset, s)
					}
				}
				return nil
			}
		},
	})

	register(&command{
		name:  "conv",
		usage: "[flags] FILE",
		short: "run part i of the study: hand-written convolution and Figure 1",
		long: `Conv runs an experiment file of kind convolution: it convolves a
photo's channel with each named kernel (zero padding, no kernel flip,
clipped to 0..255) and writes Figure 1 and every result image as PNG into
RESULTS/<name>/.`,
		setup: func(fs *flag.FlagSet, e *env) func([]string) error {
			resultsDir := fs.String("results", "results", "directory under which RESULTS/<name>/ is written")
			return func(args []string) error {
				if len(args) != 1 {
					return usagef("want one experiment file, got %d", len(args))
				}
				dir, err := figure1.Run(args[0], *resultsDir)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "%s\n", filepath.Join(dir, "figure1.png"))
				return nil
			}
		},
	})

	register(&command{
		name:  "slurm",
		usage: "[flags] FILE...",
		short: "submit the grid to Slurm as a job array plus a report job",
		long: `Slurm validates the experiment files, writes two sbatch scripts and
submits them: a job array with one task per shard of the grid (each task
runs 'convlab run --shard k/N FILE...' into the shared results tree) and a
report job that runs 'convlab report FILE...' once every task succeeded
(--dependency=afterok). With --dry-run it prints the scripts instead.`,
		setup: func(fs *flag.FlagSet, e *env) func([]string) error {
			var o slurm.Options
			o.RegisterFlags(fs)
			dryRun := fs.Bool("dry-run", false, "print the two scripts instead of submitting them")
			scripts := fs.String("scripts", filepath.Join("results", "slurm"), "directory the scripts are written to")
			force := fs.Bool("force", false, "pass --force to the runs")
			only := fs.String("only", "", "pass --only PATTERN to the runs")
			overrides := overrideFlags(fs)
			return func(args []string) error {
				if len(args) == 0 {
					return usagef("no experiment file given")
				}
				if _, trainFiles, err := splitKinds(args); err != nil {
					return err
				} else if _, err := loadTraining(trainFiles, *overrides); err != nil {
					return err
				}
				o.Files = args
				o.RunArgs = append(o.RunArgs, overrideArgs(*overrides)...)
				o.ReportArgs = append(o.ReportArgs, overrideArgs(*overrides)...)
				if *force {
					o.RunArgs = append(o.RunArgs, "--force")
				}
				if *only != "" {
					o.RunArgs = append(o.RunArgs, "--only", *only)
				}
				if o.Convlab == "" {
					if exe, err := os.Executable(); err == nil {
						o.Convlab = exe
					}
				}
				if o.Workdir == "" {
					o.Workdir, _ = os.Getwd()
				}
				if err := o.Validate(); err != nil {
					return usagef("%v", err)
				}
				if *dryRun {
					a, err := slurm.Script(o)
					if err != nil {
						return err
					}
					r, err := slurm.ReportScript(o)
					if err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "%s\n%s", a, r)
					return nil
				}
				s, err := slurm.Submit(e.ctx, o, *scripts)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "array job %s (%d tasks): %s\nreport job %s (after the array succeeds): %s\n", s.ArrayJob, o.Shards, s.ArrayScript, s.ReportJob, s.ReportScript)
				return nil
			}
		},
	})
}

// parseShape reads HxWxC (Keras order) into an arch.Shape.
func parseShape(s string) (arch.Shape, error) {
	var h, w, c int
	if _, err := fmt.Sscanf(s, "%dx%dx%d", &h, &w, &c); err != nil || h < 1 || w < 1 || c < 1 {
		return arch.Shape{}, fmt.Errorf("invalid shape %q: want HxWxC such as 32x32x3", s)
	}
	return arch.Shape{C: c, H: h, W: w}, nil
}

// datasetShape is the image shape of a registered data set.
func datasetShape(name string) (arch.Shape, error) {
	info, err := dataset.Lookup(name)
	if err != nil {
		return arch.Shape{}, err
	}
	return arch.Shape{C: info.C, H: info.H, W: info.W}, nil
}

// checkResultsDir insists that root looks like a results tree, so that a
// mistyped directory is an error rather than an empty report.
func checkResultsDir(root string) error {
	for _, name := range []string{report.IndexFile, "runs"} {
		if _, err := os.Stat(filepath.Join(root, name)); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%s: not a results directory (no %s and no runs/); give an experiment file or a directory such as results/<name>", root, report.IndexFile)
}
