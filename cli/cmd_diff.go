package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"convlab/internal/yamlfile"
	"convlab/runner/results"
	"convlab/runner/spec"
)

// diffMetrics are the columns of runs.csv that diff sets side by side.
var diffMetrics = []string{"params", "train_accuracy", "train_loss", "val_accuracy", "val_loss", "test_accuracy", "test_loss",
	"last_accuracy", "last_val_accuracy", "baseline_train", "baseline_test", "train_seconds"}

var cmdDiff = &command{
	name:  "diff",
	usage: "[flags] RUN RUN",
	short: "compare two finished runs: the settings that differ, and every metric side by side",
	long: `Diff compares two finished runs, as 'dvc exp diff' does: first every
setting of the resolved configuration (config.yaml, the layers of the
architecture included) that differs between them, then each metric of
runs.csv for both runs and the difference, second minus first.

A RUN is a run directory (results/<name>/runs/<run id>-<hash>), or a run id
or directory name, looked up in every results tree under --results; an id
that names runs of several trees, or several versions of a run, is an
error listing them.

--json prints {"a": {"run_id", "dir"}, "b": {...}, "config": [{"key", "a",
"b"}], "metrics": [{"name", "a", "b", "difference"}]}, config values as
text, metrics as numbers (null when not finite).`,
	setup: bind(runDiff),
}

// diffOptions are the flags of diff.
type diffOptions struct {
	resultsDir string
	asJSON     bool
}

func (o *diffOptions) flags(fs *flag.FlagSet) {
	resultsFlag(fs, &o.resultsDir)
	fs.BoolVar(&o.asJSON, "json", false, "print JSON")
}

func runDiff(e *env, opts *diffOptions, args []string) error {
	if len(args) != 2 {
		return usagef("want two runs, got %d arguments", len(args))
	}
	var dirs [2]string
	var recs [2]*results.Record
	for i, a := range args {
		dir, err := findRun(a, opts.resultsDir)
		if err != nil {
			return err
		}
		rec, err := results.ReadRunDir(dir)
		if err != nil {
			return err
		}
		dirs[i], recs[i] = dir, rec
	}
	d, err := diffRuns(dirs, recs)
	if err != nil {
		return err
	}
	if opts.asJSON {
		return writeJSON(e.stdout, d)
	}
	return d.write(e)
}

// runRef names one run of a diff.
type runRef struct {
	RunID string `json:"run_id"`
	Dir   string `json:"dir"`
}

type configDiff struct {
	Key string `json:"key"`
	A   string `json:"a"`
	B   string `json:"b"`
}

type metricDiff struct {
	Name       string `json:"name"`
	A          any    `json:"a"`
	B          any    `json:"b"`
	Difference any    `json:"difference"`
}

// diffResult is what diff prints; its JSON form is documented in the help.
type diffResult struct {
	A       runRef       `json:"a"`
	B       runRef       `json:"b"`
	Config  []configDiff `json:"config"`
	Metrics []metricDiff `json:"metrics"`
}

func diffRuns(dirs [2]string, recs [2]*results.Record) (*diffResult, error) {
	d := &diffResult{A: runRef{recs[0].Run.ID, dirs[0]}, B: runRef{recs[1].Run.ID, dirs[1]}, Config: []configDiff{}}
	var flat [2][][2]string
	for i, r := range recs {
		kv, err := flattenConfig(r.Run)
		if err != nil {
			return nil, err
		}
		flat[i] = kv
	}
	// Settings in the order of the run with more of them (the deeper
	// network, whose layers include the other's positions).
	order := flat[0]
	if len(flat[1]) > len(flat[0]) {
		order = flat[1]
	}
	var keys []string
	value := [2]map[string]string{{}, {}}
	for i := range flat {
		for _, kv := range flat[i] {
			value[i][kv[0]] = kv[1]
		}
	}
	for _, kv := range order {
		keys = append(keys, kv[0])
	}
	for _, k := range keys {
		if a, b := value[0][k], value[1][k]; a != b {
			d.Config = append(d.Config, configDiff{k, a, b})
		}
	}
	rows := rowsOf([]treeRuns{{recs: []*results.Record{recs[0], recs[1]}}})
	for _, m := range diffMetrics {
		md := metricDiff{Name: m, A: jsonValue(m, rows[0][m]), B: jsonValue(m, rows[1][m])}
		a, aok := number(rows[0][m])
		b, bok := number(rows[1][m])
		if aok && bok {
			// Twelve digits: the difference of two float64s carries
			// noise in the last ones (0.3 - 0.2 = 0.09999999999999998).
			md.Difference = json.Number(strconv.FormatFloat(b-a, 'g', 12, 64))
			if m == "params" {
				md.Difference = json.Number(strconv.FormatFloat(b-a, 'f', 0, 64))
			}
		}
		d.Metrics = append(d.Metrics, md)
	}
	return d, nil
}

// flattenConfig lists the settings of a run that decide its result, in
// the order of config.yaml, one key per setting and one per layer of the
// architecture (its settings as compact JSON), values as text.
func flattenConfig(r spec.Run) ([][2]string, error) {
	f := strconv.FormatFloat
	out := [][2]string{{"dataset", r.Dataset}, {"arch", r.Arch.Name}}
	for i, l := range r.Arch.Layers {
		b, err := json.Marshal(l)
		if err != nil {
			return nil, err
		}
		out = append(out, [2]string{fmt.Sprintf("arch.layers[%d]", i), string(b)})
	}
	return append(out,
		[2]string{"n", strconv.Itoa(r.N)},
		[2]string{"l1", f(r.L1, 'g', -1, 64)},
		[2]string{"epochs", strconv.Itoa(r.Epochs)},
		[2]string{"batch_size", strconv.Itoa(r.BatchSize)},
		[2]string{"validation_split", f(r.ValidationSplit, 'g', -1, 64)},
		[2]string{"seed", strconv.FormatInt(r.Seed, 10)},
		[2]string{"optimizer.name", r.Optimizer.Name},
		[2]string{"optimizer.learning_rate", f(r.Optimizer.LearningRate, 'g', -1, 64)},
		[2]string{"optimizer.beta1", f(r.Optimizer.Beta1, 'g', -1, 64)},
		[2]string{"optimizer.beta2", f(r.Optimizer.Beta2, 'g', -1, 64)},
		[2]string{"optimizer.epsilon", f(r.Optimizer.Epsilon, 'g', -1, 64)},
	), nil
}

func (d *diffResult) write(e *env) error {
	var buf strings.Builder
	w := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "\ta\tb\n")
	fmt.Fprintf(w, "run\t%s\t%s\n", d.A.RunID, d.B.RunID)
	fmt.Fprintf(w, "dir\t%s\t%s\n", d.A.Dir, d.B.Dir)
	fmt.Fprintln(w)
	if len(d.Config) == 0 {
		fmt.Fprintln(w, "config\tthe same\t")
	} else {
		fmt.Fprintln(w, "config\t\t")
	}
	for _, c := range d.Config {
		fmt.Fprintf(w, "  %s\t%s\t%s\n", c.Key, c.A, c.B)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		if trimmed := strings.TrimRight(line, " \n"); trimmed != "" || line != "" {
			fmt.Fprint(e.stdout, trimmed+strings.Repeat("\n", strings.Count(line, "\n")))
		}
	}
	fmt.Fprintln(e.stdout)
	show := func(col string, v any) string {
		if v == nil {
			return "-"
		}
		return displayCell(col, fmt.Sprint(v))
	}
	width := len("metric")
	for _, m := range d.Metrics {
		width = max(width, len(m.Name))
	}
	fmt.Fprintf(e.stdout, "%-*s  %10s  %10s  %10s\n", width, "metric", "a", "b", "b - a")
	for _, m := range d.Metrics {
		fmt.Fprintf(e.stdout, "%-*s  %10s  %10s  %10s\n", width, m.Name, show(m.Name, m.A), show(m.Name, m.B), signed(show(m.Name, m.Difference)))
	}
	return nil
}

// signed puts a + before a positive difference.
func signed(s string) string {
	if s != "-" && s != "0" && !strings.HasPrefix(s, "-") {
		return "+" + s
	}
	return s
}

// findRun resolves a RUN argument of diff to a run directory.
func findRun(arg, resultsDir string) (string, error) {
	if isDir(arg) {
		if _, err := os.Stat(filepath.Join(arg, results.ConfigFile)); err != nil {
			return "", fmt.Errorf("%s is not a run directory (it has no %s)", arg, results.ConfigFile)
		}
		return arg, nil
	}
	roots, err := resultTrees(resultsDir)
	if err != nil {
		return "", fmt.Errorf("%s is not a run directory, and %w", arg, err)
	}
	var matches, names []string
	for _, root := range roots {
		dirs, err := results.RunDirs(root)
		if err != nil {
			continue
		}
		for _, dir := range dirs {
			name := filepath.Base(dir)
			names = append(names, name)
			if name == arg || runIDOf(name) == arg {
				matches = append(matches, dir)
			}
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		hint := yamlfile.DidYouMean(closestPrefix(arg, names))
		return "", fmt.Errorf("%s: no such run directory, nor a run of that id under %s%s", arg, resultsDir, hint)
	}
	return "", fmt.Errorf("%s names %d runs; give one of their directories: %s", arg, len(matches), strings.Join(matches, ", "))
}
