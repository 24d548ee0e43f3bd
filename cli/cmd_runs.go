package cli

import (
	"flag"
	"slices"
	"strings"

	"convlab/runner/spec"
)

// defaultRunColumns are what `convlab runs` shows without --columns.
var defaultRunColumns = []string{"run_id", "arch", "n", "l1", "epochs", "seed", "val_accuracy", "test_accuracy", "train_seconds"}

var cmdRuns = &command{
	name:  "runs",
	usage: "[flags] [FILE...|RESULTS_DIR...]",
	short: "list finished runs as a table, CSV or JSON, filtered and sorted",
	long: `Runs prints one line per finished run, with the columns of runs.csv
(run_id, hash, sweeps, dataset, arch, n, l1, epochs, batch_size,
validation_split, seed, optimizer, learning_rate, params, train_accuracy,
train_loss, val_accuracy, val_loss, test_accuracy, test_loss, last_accuracy,
last_val_accuracy, baseline_train, baseline_test, train_seconds,
tool_version, git_commit, git_dirty, host, cores, finished) and two more:
results (the results tree) and dir (the run's directory).

Without arguments it lists every results tree under --results; a results
directory lists all its runs; experiment files list the runs they declare
(with -S and -m applied) that are finished.

--where keeps the runs that pass every condition, separated by commas:
COLUMN OP VALUE with OP one of = != < <= > >=; numbers compare as numbers,
= on text takes a glob (arch=max*). --sort orders by columns, a leading -
for descending (--sort -val_accuracy,run_id).

The table rounds numbers to four significant digits; --csv and --json give
them unrounded. --json prints a list of objects, one per run, whose keys
are the columns chosen, numbers as JSON numbers, git_dirty a boolean, and
an empty or non-finite value null.`,
	setup: bind(runRuns),
}

// runsOptions are the flags of runs.
type runsOptions struct {
	resultsDir string
	columns    string
	where      string
	sortBy     string
	asCSV      bool
	asJSON     bool
	overrides  *[]spec.Override
}

func (o *runsOptions) flags(fs *flag.FlagSet) {
	resultsFlag(fs, &o.resultsDir)
	fs.StringVar(&o.columns, "columns", strings.Join(defaultRunColumns, ","), "comma-separated `columns` to show (all: every column)")
	fs.StringVar(&o.where, "where", "", "keep runs passing every `condition`, e.g. 'arch=maxpool,l1<0.01'")
	fs.StringVar(&o.sortBy, "sort", "", "sort by `columns`, - for descending, e.g. -val_accuracy")
	fs.BoolVar(&o.asCSV, "csv", false, "print CSV")
	fs.BoolVar(&o.asJSON, "json", false, "print JSON")
	o.overrides = overrideFlags(fs)
}

func runRuns(e *env, opts *runsOptions, args []string) error {
	if opts.asCSV && opts.asJSON {
		return usagef("--csv and --json exclude each other")
	}
	cols := runColumns()
	if opts.columns != "all" {
		cols = splitList(opts.columns)
		if len(cols) == 0 {
			return usagef("--columns: no column given")
		}
		if err := checkColumns("--columns", cols); err != nil {
			return err
		}
	}
	conds, err := parseWhere(opts.where)
	if err != nil {
		return err
	}
	keys, err := parseSort(opts.sortBy)
	if err != nil {
		return err
	}
	trees, err := collectRuns(args, opts.resultsDir, *opts.overrides)
	if err != nil {
		return err
	}
	rows := slices.DeleteFunc(rowsOf(trees), func(r runRow) bool {
		for _, c := range conds {
			if !c.match(r) {
				return true
			}
		}
		return false
	})
	sortRows(rows, keys)
	switch {
	case opts.asJSON:
		return writeJSON(e.stdout, jsonRows(cols, rows))
	case opts.asCSV:
		return writeCSV(e.stdout, cols, rows)
	}
	return writeTable(e.stdout, cols, rows)
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
