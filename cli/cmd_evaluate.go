package cli

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"convlab/internal/yamlfile"
	"convlab/runner/dataset"
	"convlab/runner/results"
	"convlab/runner/train"
)

var cmdEvaluate = &command{
	name:  "evaluate",
	usage: "[flags] RUN_DIR|WEIGHTS_FILE",
	short: "score a saved model again without retraining",
	long: `Evaluate loads the weights of a finished run (its directory, or a
weights file) and scores them with dropout off on the run's training,
validation and test images: accuracy, loss, the per-class report and the
confusion matrix, as the run's metrics.json holds them. The run's own
configuration (config.yaml in its directory) says which data set, n and
validation split to use; flags override it.`,
	setup: bind(runEvaluate),
}

// evaluateOptions are the flags of evaluate.
type evaluateOptions struct {
	ds     string
	dir    string
	n      int
	split  float64
	asJSON bool
}

func (o *evaluateOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.ds, "dataset", "", "data set (default: the run's)")
	fs.StringVar(&o.dir, "data-dir", "", "data set directory (default: the run's, else the data set's usual place)")
	fs.IntVar(&o.n, "n", 0, "number of training images (default: the run's)")
	fs.Float64Var(&o.split, "validation-split", -1, "validation fraction (default: the run's)")
	fs.BoolVar(&o.asJSON, "json", false, "print the metrics as JSON")
}

func runEvaluate(e *env, opts *evaluateOptions, args []string) error {
	if len(args) != 1 {
		return usagef("want one run directory or weights file, got %d arguments", len(args))
	}
	weights, runDir := args[0], filepath.Dir(args[0])
	if _, err := os.Stat(args[0]); err != nil {
		return missingRunError(args[0], err)
	}
	if isDir(args[0]) {
		runDir, weights = args[0], filepath.Join(args[0], results.WeightsFile)
	}
	var name, dataDir string
	var count int
	var vs float64
	if rec, err := results.ReadRunDir(runDir); err == nil {
		name, dataDir, count, vs = rec.Run.Dataset, rec.Run.DataDir, rec.Run.N, rec.Run.ValidationSplit
	}
	if opts.ds != "" {
		name = opts.ds
	}
	if opts.dir != "" {
		dataDir = opts.dir
	}
	if opts.n > 0 {
		count = opts.n
	}
	if opts.split >= 0 {
		vs = opts.split
	}
	if name == "" || count == 0 {
		if runDir == args[0] {
			return usagef("%s is not a run directory (it has no config.yaml): give --dataset and --n", runDir)
		}
		return usagef("%s is not in a run directory (no config.yaml next to it): give --dataset and --n", args[0])
	}
	tr, te, err := dataset.LoadCached(name, dataDir)
	if err != nil {
		return err
	}
	data, err := dataset.Prepare(tr, te, count, vs)
	if err != nil {
		return err
	}
	m, err := train.Evaluate(weights, data)
	if err != nil {
		return err
	}
	if opts.asJSON {
		return writeJSON(e.stdout, m)
	}
	fmt.Fprintf(e.stdout, "%s on %s, n=%d (validation split %g), %d parameters\n", weights, name, count, vs, m.Params)
	fmt.Fprintf(e.stdout, "%-11s %9s %9s\n", "part", "accuracy", "loss")
	for _, p := range []struct {
		name string
		ev   results.Evaluation
	}{{"train", m.Train}, {"validation", m.Validation}, {"test", m.Test}} {
		fmt.Fprintf(e.stdout, "%-11s %9.4f %9.4f\n", p.name, p.ev.Accuracy, p.ev.Loss)
	}
	fmt.Fprintf(e.stdout, "baseline (always label %d): train %.4f, test %.4f\n\n", m.BaselineLabel, m.BaselineTrain, m.BaselineTest)
	fmt.Fprint(e.stdout, "test set:\n")
	fmt.Fprint(e.stdout, formatReport(m.Test.Report))
	return nil
}

// formatReport lays out a classification report as scikit-learn prints it.
func formatReport(r results.ClassificationReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%14s %9s %9s %9s %9s\n\n", "", "precision", "recall", "f1-score", "support")
	for _, c := range r.Classes {
		fmt.Fprintf(&b, "%14s %9.4f %9.4f %9.4f %9d\n", c.Label, c.Precision, c.Recall, c.F1, c.Support)
	}
	fmt.Fprintf(&b, "\n%14s %9s %9s %9.4f %9d\n", "accuracy", "", "", r.Accuracy, r.Macro.Support)
	fmt.Fprintf(&b, "%14s %9.4f %9.4f %9.4f %9d\n", "macro avg", r.Macro.Precision, r.Macro.Recall, r.Macro.F1, r.Macro.Support)
	fmt.Fprintf(&b, "%14s %9.4f %9.4f %9.4f %9d\n", "weighted avg", r.Weighted.Precision, r.Weighted.Recall, r.Weighted.F1, r.Weighted.Support)
	return b.String()
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// missingRunError words a run directory or weights file that does not
// exist, blaming the argument itself and suggesting the nearest run
// directory beside it.
func missingRunError(path string, err error) error {
	msg := err.Error()
	var pe *os.PathError
	if errors.As(err, &pe) {
		msg = pe.Err.Error()
	}
	hint := ""
	if entries, rerr := os.ReadDir(filepath.Dir(path)); rerr == nil {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if best := closestPrefix(filepath.Base(path), names); best != "" {
			hint = yamlfile.DidYouMean(filepath.Join(filepath.Dir(path), best))
		}
	}
	return fmt.Errorf("%s: %s%s; want a run directory such as results/<name>/runs/<run id>-<hash> or its weights file", path, msg, hint)
}

// runIDOf is the run id of a run directory's name, <run id>-<hash>: the
// name without its last "-" and the hash after it (a hash has no "-").
func runIDOf(dirName string) string {
	if i := strings.LastIndexByte(dirName, '-'); i > 0 {
		return dirName[:i]
	}
	return dirName
}

// closestPrefix is yamlfile.Closest over run directory names, which end in a
// hash the user rarely types: a name matches on its part before the hash
// as well as whole.
func closestPrefix(got string, names []string) string {
	byStem := map[string]string{}
	var stems []string
	for _, n := range names {
		stem := runIDOf(n)
		if _, dup := byStem[stem]; !dup {
			byStem[stem] = n
			stems = append(stems, stem)
		}
		if strings.HasPrefix(n, got) && got != "" {
			return n
		}
	}
	if best := yamlfile.Closest(got, stems); best != "" {
		return byStem[best]
	}
	return yamlfile.Closest(got, names)
}
