package cli

import (
	"flag"
	"fmt"
	"sort"
	"strings"

	"convlab/internal/english"
	"convlab/report"
	"convlab/runner/grid"
	"convlab/runner/results"
)

var cmdCompare = &command{
	name:  "compare",
	usage: "[flags] A B",
	short: "is the difference between two cells real? (mean, CI, paired test)",
	long: `Compare tests the difference A minus B of two groups of finished runs on
one metric, the way REPORT.md compares a sweep's cells with its reference:
the difference of means with its 95% confidence interval, a paired t-test
over the seeds both have (and the exact sign-flip permutation test for up
to 16 pairs), Welch's t-test when they share fewer than two seeds, and the
smallest difference this many seeds could detect (80% power, two-sided
0.05).

A and B each name a cell, the runs that differ only by seed (its run id
without "-s<seed>", e.g. maxpool-n5000-l1_0.0001-e20), or a glob or
regular expression on run ids (e.g. 'strided-n5000-l1_0-*'); each must
hold at most one run a seed. Runs are read from every results tree under
--results (or from --results itself when it is one tree); the same run in
several trees counts once.

Metrics: accuracy, val_accuracy and loss, val_loss (the last epoch's),
test_accuracy, test_loss, train_seconds.`,
	setup: bind(runCompare),
}

// compareOptions are the flags of compare.
type compareOptions struct {
	metric string
	dir    string
}

func (o *compareOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.metric, "metric", "val_accuracy", "metric to compare: "+strings.Join(report.MetricKeys(), ", "))
	fs.StringVar(&o.dir, "results", "results", "a results tree, or a directory of results trees")
}

func runCompare(e *env, opts *compareOptions, args []string) error {
	if len(args) != 2 {
		return usagef("want two cells or run patterns A and B, got %d argument%s", len(args), english.Plural(len(args)))
	}
	if !validMetric(opts.metric) {
		return usagef("unknown metric %q; valid: %s", opts.metric, strings.Join(report.MetricKeys(), ", "))
	}
	recs, err := readResults(opts.dir)
	if err != nil {
		return err
	}
	groups := make([][]*results.Record, 2)
	for i, arg := range args {
		g, err := selectGroup(recs, arg)
		if err != nil {
			return err
		}
		if len(g) == 0 {
			return fmt.Errorf("%s matches no finished run under %s; a cell is a run id without its -s<seed>, or give a glob such as 'strided-*'", arg, opts.dir)
		}
		groups[i] = g
	}
	c, err := report.CompareRuns(groups[0], groups[1], opts.metric)
	if err != nil {
		return err
	}
	for i, s := range []struct {
		label string
		sum   any
	}{{c.Cell, c.SummaryText(c.CellSummary)}, {c.Reference, c.SummaryText(c.ReferenceSummary)}} {
		n := c.CellSeeds
		if i == 1 {
			n = c.ReferenceSeeds
		}
		fmt.Fprintf(e.stdout, "%s  %s, %d seed%s: %s %v\n", string(rune('A'+i)), s.label, n, english.Plural(n), opts.metric, s.sum)
	}
	fmt.Fprintf(e.stdout, "%s\n", c.Sentence())
	return nil
}

func validMetric(m string) bool {
	for _, k := range report.MetricKeys() {
		if k == m {
			return true
		}
	}
	return false
}

// readResults reads the finished runs of dir when it is a results tree,
// else of every results tree directly under it; a run found in several
// trees (the same configuration) is kept once, its latest finished copy.
func readResults(dir string) ([]*results.Record, error) {
	trees, err := treesAt(dir)
	if err != nil {
		return nil, err
	}
	latest := map[string]*results.Record{}
	for _, t := range trees {
		recs, err := results.ReadTree(t)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			h := r.Run.Hash()
			if old, ok := latest[h]; !ok || old.Provenance.Finished < r.Provenance.Finished {
				latest[h] = r
			}
		}
	}
	out := make([]*results.Record, 0, len(latest))
	for _, r := range latest {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Run.ID < out[j].Run.ID })
	return out, nil
}

// selectGroup returns the runs of the cell named arg (a run id without
// "-s<seed>"), or else those whose id matches arg as a glob or regular
// expression.
func selectGroup(recs []*results.Record, arg string) ([]*results.Record, error) {
	var cell []*results.Record
	for _, r := range recs {
		if id, ok := strings.CutPrefix(r.Run.ID, arg+"-s"); ok && id == fmt.Sprint(r.Run.Seed) {
			cell = append(cell, r)
		}
	}
	if len(cell) > 0 {
		return cell, nil
	}
	match, err := grid.Matcher(arg)
	if err != nil {
		return nil, usagef("%s", strings.Replace(err.Error(), "--only ", "", 1))
	}
	var out []*results.Record
	for _, r := range recs {
		if match(r.Run.ID) {
			out = append(out, r)
		}
	}
	return out, nil
}
