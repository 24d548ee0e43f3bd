package cli

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"convlab/convolution"
	"convlab/internal/english"
	"convlab/runner/grid"
	"convlab/runner/integrity"
	"convlab/runner/spec"
)

var cmdPlan = &command{
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

Nothing is trained. An invalid file is reported with file:line:column.

--json prints {"schema": "convlab.plan/1", "files": [{"path", "name",
"results", "overrides"}], "runs": [{"id", "hash", "dir", "file", "sweeps",
"feeds", "dataset", "arch", "n", "l1", "epochs", "batch_size",
"validation_split", "seed", "optimizer": {"name", "learning_rate", "beta1",
"beta2", "epsilon"}, "status": "done", "done (unverified)", "damaged" or
"to do"}], "total", "to_do" (damaged runs included),
"estimate_seconds" (null when unknown), "estimate_basis", "convolutions":
[{"name", "image", "channels", "kernels", "status"}]}. Fields are never
renamed or retyped under the same schema; new ones may be added.`,
	setup: bind(runPlan),
}

// planOptions are the flags of plan.
type planOptions struct {
	resultsDir string
	only       string
	shard      string
	overrides  *[]spec.Override
	asJSON     bool
}

func (o *planOptions) flags(fs *flag.FlagSet) {
	resultsFlag(fs, &o.resultsDir)
	fs.StringVar(&o.only, "only", "", "list only runs whose id matches this glob or regular expression")
	fs.StringVar(&o.shard, "shard", "", "list only shard `i/n` of the grid, as run --shard would train it")
	o.overrides = overrideFlags(fs)
	fs.BoolVar(&o.asJSON, "json", false, "print the plan as JSON (schema "+planSchema+", see 'convlab help plan')")
}

func runPlan(e *env, opts *planOptions, args []string) error {
	if len(args) == 0 {
		return usagef("no experiment file given")
	}
	sel, err := parseSelection(opts.only, opts.shard)
	if err != nil {
		return err
	}
	files, convs, err := loadFiles(args, *opts.overrides)
	if err != nil {
		return err
	}
	if len(files) == 0 && !opts.asJSON {
		return planConvolution(e, convs, opts.resultsDir)
	}
	if err := sel.apply(files); err != nil {
		return err
	}
	if opts.asJSON {
		return planJSON(e, files, convs, opts.resultsDir)
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "RUN\tSWEEPS\tARCH\tN\tL1\tEPOCHS\tSEED\tSTATUS")
	rows, todo, damaged := planStatus(files, opts.resultsDir)
	total := len(rows)
	for _, p := range rows {
		r := p.run
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%g\t%d\t%d\t%s\n", r.ID, strings.Join(r.Sweeps, ","), r.Arch.Name, r.N, r.L1, r.Epochs, r.Seed, p.status)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, d := range damaged {
		fmt.Fprintf(e.stdout, "damaged: %v (the next run moves it to %s/ and trains it again)\n", d, grid.QuarantineDir)
	}
	fmt.Fprintf(e.stdout, "%d run%s, %d to do", total, english.Plural(total), len(todo))
	if len(todo) > 0 {
		if d, how, ok := estimateTime(opts.resultsDir, todo); ok {
			fmt.Fprintf(e.stdout, ", about %s of training with one run at a time (%s)", d.Round(time.Second), how)
		} else {
			fmt.Fprint(e.stdout, " (no time estimate: run 'convlab bench' or finish a run of each architecture first)")
		}
	}
	fmt.Fprintln(e.stdout)
	if len(convs) > 0 {
		fmt.Fprintln(e.stdout)
		return planConvolution(e, convs, opts.resultsDir)
	}
	return nil
}

// planConvolution prints one line per convolution file: what it convolves
// and whether its figure is already written.
func planConvolution(e *env, convs []*convolution.Experiment, resultsDir string) error {
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "CONVOLUTION\tIMAGE\tCHANNELS\tKERNELS\tSTATUS")
	for _, c := range convs {
		names := make([]string, len(c.Kernels))
		for i, k := range c.Kernels {
			size := len(k.Kernel)
			names[i] = fmt.Sprintf("%s (%dx%d)", k.Name, size, size)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", c.Name, c.Image, strings.Join(c.Channels, ","), strings.Join(names, ", "), convStatus(resultsDir, c))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d convolution file%s\n", len(convs), english.Plural(len(convs)))
	return nil
}

// convStatus is a convolution file's state in the plan: "done" once its
// figure is written, else "to do".
func convStatus(resultsDir string, c *convolution.Experiment) string {
	if _, err := os.Stat(filepath.Join(resultsDir, c.Name, "figure1.png")); err == nil {
		return "done"
	}
	return "to do"
}

// planJSON prints the plan as the convlab.plan/1 document.
func planJSON(e *env, files []trainingFile, convs []*convolution.Experiment, resultsDir string) error {
	out := jsonPlan{Schema: planSchema, Files: []jsonFile{}, Runs: []jsonRun{}, Convolutions: []jsonConv{}}
	for _, f := range files {
		out.Files = append(out.Files, jsonFile{Path: f.path, Name: f.name, Results: filepath.Join(resultsDir, f.name), Overrides: nonNil(f.plan.Files[0].Overrides)})
	}
	rows, todo, _ := planStatus(files, resultsDir)
	for _, p := range rows {
		out.Runs = append(out.Runs, newJSONRun(p.root, p.run, p.status))
	}
	out.Total, out.ToDo = len(out.Runs), len(todo)
	if len(todo) > 0 {
		if d, how, ok := estimateTime(resultsDir, todo); ok {
			secs := d.Seconds()
			out.EstimateSeconds, out.EstimateBasis = &secs, how
		}
	} else {
		zero := 0.0
		out.EstimateSeconds = &zero
	}
	for _, c := range convs {
		j := jsonConv{Name: c.Name, Image: c.Image, Channels: nonNil(c.Channels), Kernels: []string{}, Status: convStatus(resultsDir, c)}
		for _, k := range c.Kernels {
			j.Kernels = append(j.Kernels, k.Name)
		}
		out.Convolutions = append(out.Convolutions, j)
	}
	return writeJSON(e.stdout, out)
}

// plannedRun is one run of the plan and its state.
type plannedRun struct {
	run    spec.Run
	root   string // its file's results tree
	status string // a grid.State: "done", "done (unverified)", "damaged" or "to do"
}

// planStatus lists the selected runs of the files with their state, the
// runs still to do (damaged ones included) and the damage found.
func planStatus(files []trainingFile, resultsDir string) (rows []plannedRun, todo []spec.Run, damaged []integrity.Damage) {
	done := grid.NewStatus(nil)
	for _, f := range files {
		root := filepath.Join(resultsDir, f.name)
		for _, r := range f.runs {
			st, damage := done.Check(root, r)
			if !st.IsDone() {
				todo = append(todo, r)
			}
			damaged = append(damaged, damage...)
			rows = append(rows, plannedRun{run: r, root: root, status: st.String()})
		}
	}
	return rows, todo, damaged
}
