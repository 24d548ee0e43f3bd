package report

import (
	"fmt"
	"math"
	"path"
	"strings"

	"convlab/report/stats"
	"convlab/runner/results"
)

// Comparison is one cell against a reference cell on one metric: the
// difference of means (cell minus reference) with its 95% CI, tested pair
// by pair over the seeds both share (paired t, and for few pairs the exact
// sign-flip permutation test) or, with fewer than two shared seeds,
// between the two cells (Welch's t).
type Comparison struct {
	// Sweep is the sweep the comparison belongs to; empty for an ad hoc
	// comparison (convlab compare).
	Sweep  string
	Metric string
	// Cell and Reference label the two cells, e.g. "maxpool-n5000-l1_0.0001-e20".
	Cell, Reference string
	// What names the difference by the settings that tell the cells
	// apart, e.g. "maxpool − strided" or "l1 0.001 − l1 0.0001".
	What string
	// CellSeeds and ReferenceSeeds count each cell's seeds; Pairs those
	// both have.
	CellSeeds, ReferenceSeeds, Pairs int
	// CellSummary and ReferenceSummary are each cell's values over its
	// seeds.
	CellSummary, ReferenceSummary stats.Summary
	// Test is the paired or Welch t-test (Test.Method says which; empty,
	// with NaN statistics but Diff, when there is no test).
	Test stats.Test
	// SignFlipP is the exact sign-flip p over the pairs; NaN when the
	// test is not paired or has more than stats.MaxExactPairs pairs.
	SignFlipP float64
	// HolmP is Test.P adjusted over the comparisons of the sweep on this
	// metric (Holm); equal to Test.P for a comparison alone.
	HolmP float64
	// NoTest says why there is no test (a cell of one seed); empty
	// otherwise.
	NoTest string

	phrase  string
	seconds bool
}

// compareCells compares cell with ref on metric m.
func compareCells(cell, ref *seedCell, m cellMetric) Comparison {
	va, sa := cell.values(m)
	vb, sb := ref.values(m)
	c := Comparison{Metric: m.Key, Cell: cell.Label, Reference: ref.Label, What: cellDifference(cell, ref),
		CellSeeds: len(va), ReferenceSeeds: len(vb), CellSummary: stats.Summarize(va), ReferenceSummary: stats.Summarize(vb),
		SignFlipP: math.NaN(), phrase: m.Phrase, seconds: m.Seconds}
	at := map[int64]int{}
	for i, s := range sb {
		at[s] = i
	}
	var pa, pb []float64
	for i, s := range sa {
		if j, ok := at[s]; ok {
			pa, pb = append(pa, va[i]), append(pb, vb[j])
		}
	}
	c.Pairs = len(pa)
	switch {
	case len(pa) >= 2:
		c.Test = stats.PairedT(pa, pb)
		c.SignFlipP = stats.SignFlipP(stats.Differences(pa, pb))
	case len(va) >= 2 && len(vb) >= 2:
		c.Test = stats.WelchT(va, vb)
	default:
		c.Test = stats.WelchT(va, vb) // the difference alone: its statistics are NaN
		c.Test.Method = ""
		one := ref.Label
		if len(vb) >= 2 {
			one = cell.Label
		}
		c.NoTest = one + " has " + seedsText(min(len(va), len(vb))) + ": no spread to judge a difference by"
	}
	c.HolmP = c.Test.P
	return c
}

// cellDifference names cell − ref by the settings they differ in.
func cellDifference(cell, ref *seedCell) string {
	var a, b []string
	for _, k := range AxisKeys {
		if k == "seed" || k == "data_dir" {
			continue
		}
		va, vb := axisValue(cell.Recs[0].Run, k), axisValue(ref.Recs[0].Run, k)
		if va == vb {
			continue
		}
		switch k {
		case "arch", "dataset":
			a, b = append(a, va), append(b, vb)
		case "n":
			a, b = append(a, "n "+groupThousands(cell.Recs[0].Run.N)), append(b, "n "+groupThousands(ref.Recs[0].Run.N))
		default:
			a, b = append(a, k+" "+va), append(b, k+" "+vb)
		}
	}
	if len(a) == 0 {
		return cell.Label + " − " + ref.Label
	}
	return strings.Join(a, ", ") + " − " + strings.Join(b, ", ")
}

// holm adjusts the p-values of comparisons on one metric together.
func holm(cs []Comparison) {
	p := make([]float64, len(cs))
	for i, c := range cs {
		p[i] = c.Test.P
	}
	for i, v := range stats.Holm(p) {
		cs[i].HolmP = v
	}
}

// Significant is true when the Holm-adjusted p is below stats.Alpha.
func (c Comparison) Significant() bool { return c.NoTest == "" && c.HolmP < stats.Alpha }

// Verdict is the comparison's conclusion in words: "higher", "lower",
// "not distinguishable with 5 seeds (would need a difference of 0.035)",
// or why there is none.
func (c Comparison) Verdict() string {
	switch {
	case c.NoTest != "":
		return "no verdict: " + c.NoTest
	case math.IsNaN(c.HolmP):
		return "no verdict: no test"
	case c.Test.SE == 0 && c.Test.Diff == 0:
		return "the same on every seed"
	case c.Significant() && c.Test.Diff > 0:
		return "higher"
	case c.Significant():
		return "lower"
	}
	return fmt.Sprintf("not distinguishable with %s (would need a difference of %s)", seedsText(c.seeds()), c.magnitude(c.Test.MinDetectable))
}

// seeds is the number of seeds the test rests on.
func (c Comparison) seeds() int {
	if c.Test.Method == "paired t" {
		return c.Pairs
	}
	return min(c.CellSeeds, c.ReferenceSeeds)
}

func (c Comparison) signed(v float64) string {
	if c.seconds {
		return fmt.Sprintf("%+.1f s", v)
	}
	return fmt.Sprintf("%+.3f", v)
}

func (c Comparison) magnitude(v float64) string {
	if c.seconds {
		return fmt.Sprintf("%.1f s", v)
	}
	return fmt.Sprintf("%.3f", v)
}

// Sentence is the comparison in one line, e.g. "maxpool − strided:
// validation accuracy +0.031 (95% CI +0.012 to +0.050), paired t p =
// 0.006 (Holm 0.012; sign-flip 0.062), 5 seeds: higher".
func (c Comparison) Sentence() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s %s", c.What, c.phrase, c.signed(c.Test.Diff))
	if c.NoTest != "" {
		fmt.Fprintf(&b, " (%s)", c.Verdict())
		return b.String()
	}
	pv := formatP(c.Test.P)
	if !strings.HasPrefix(pv, "<") {
		pv = "= " + pv
	}
	fmt.Fprintf(&b, " (95%% CI %s to %s), %s p %s", c.signed(c.Test.CILow), c.signed(c.Test.CIHigh), c.Test.Method, pv)
	var extra []string
	if c.HolmP != c.Test.P {
		extra = append(extra, "Holm "+formatP(c.HolmP))
	}
	if !math.IsNaN(c.SignFlipP) {
		extra = append(extra, "sign-flip "+formatP(c.SignFlipP))
	}
	if len(extra) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(extra, "; "))
	}
	fmt.Fprintf(&b, ", %s: %s", seedsText(c.seeds()), c.Verdict())
	return b.String()
}

// SummaryText is a cell's summary as tables write it: "mean ± sd (95%
// CI low to high)", the value alone for one seed.
func (c Comparison) SummaryText(s stats.Summary) string { return summaryText(s, c.seconds) }

// formatP writes a p-value with two significant digits, "< 0.0001" below.
func formatP(p float64) string {
	switch {
	case math.IsNaN(p):
		return "n/a"
	case p < 0.0001:
		return "< 0.0001"
	case p >= 0.1:
		return fmt.Sprintf("%.2f", p)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2g", p), "0"), ".")
}

// sweepComparisons compares every cell of the sweep with its reference
// cell (found among all the report's cells: it may be another sweep's),
// on every metric; p-values are Holm-adjusted per metric over the sweep's
// cells. note says why there are none when the sweep has other cells.
func sweepComparisons(m *contents, v *sweepView) (cs []Comparison, ref *seedCell, note string) {
	if v.Reference == "" {
		if len(v.Cells) > 1 {
			return nil, nil, "No comparisons: the sweep has no reference cell. Its reference is the cell of the experiment file's defaults when a sweep of the file runs it, or the one the sweep names, e.g. `reference: {l1: 0}`; a results tree whose sweeps.json predates references gets them from `convlab report FILE`."
		}
		return nil, nil, ""
	}
	for _, c := range m.Cells {
		if c.Key == v.Reference {
			ref = c
		}
	}
	if ref == nil {
		return nil, nil, "No comparisons yet: no run of the reference cell has finished."
	}
	for _, mt := range cellMetrics {
		var family []Comparison
		for _, c := range v.Cells {
			if c.Key == ref.Key {
				continue
			}
			cmp := compareCells(c, ref, mt)
			cmp.Sweep = v.Name
			family = append(family, cmp)
		}
		holm(family)
		cs = append(cs, family...)
	}
	return cs, ref, ""
}

// verdictMetrics are the metrics REPORT.md states verdicts for; every
// metric is in comparisons.csv.
var verdictMetrics = []string{"val_accuracy", "test_accuracy"}

// comparisonsMarkdown is the verdicts of a sweep, for REPORT.md.
func comparisonsMarkdown(v *sweepView) string {
	cs, ref, note := v.Comparisons, v.RefCell, v.CompareNote
	if note != "" {
		return note + "\n"
	}
	if len(cs) == 0 {
		return ""
	}
	var b strings.Builder
	where := "of this sweep"
	if !containsCell(v.Cells, ref.Key) {
		where = "of another sweep"
	}
	how := "the file's defaults"
	if v.ReferenceNamed {
		how = "named by the sweep's `reference:`"
	}
	var refValues []string
	for _, key := range verdictMetrics {
		for _, c := range cs {
			if c.Metric == key {
				refValues = append(refValues, c.phrase+" "+c.SummaryText(c.ReferenceSummary))
				break
			}
		}
	}
	fmt.Fprintf(&b, "Compared with the reference cell %s (%s, %s, %s; %s)", ref.Label, how, where, seedsText(len(ref.Recs)), strings.Join(refValues, ", "))
	if n := len(cs) / len(cellMetrics); n > 1 {
		fmt.Fprintf(&b, "; p-values Holm-adjusted over this sweep's %d comparisons of each metric", n)
	}
	b.WriteString(":\n\n")
	for _, key := range verdictMetrics {
		for _, c := range cs {
			if c.Metric == key {
				fmt.Fprintf(&b, "- %s\n", c.Sentence())
			}
		}
	}
	fmt.Fprintf(&b, "\nEvery metric's comparisons: %s.\n", link("comparisons.csv", path.Join(TablesDir, ComparisonsTable)))
	return b.String()
}

func containsCell(cells []*seedCell, key string) bool {
	for _, c := range cells {
		if c.Key == key {
			return true
		}
	}
	return false
}

// ComparisonsTable is the file, under tables/, of every comparison.
const ComparisonsTable = "comparisons.csv"

// ComparisonColumns are the columns of comparisons.csv, in order.
var ComparisonColumns = []string{"sweep", "metric", "cell", "reference", "difference", "cell_seeds", "reference_seeds", "pairs",
	"method", "diff", "ci95_low", "ci95_high", "t", "df", "p", "p_holm", "sign_flip_p", "min_detectable", "verdict"}

// comparisonsTable is comparisons.csv: every comparison of every sweep.
func comparisonsTable(m *contents) table {
	t := table{Header: ComparisonColumns}
	for _, v := range m.Sweeps {
		for _, c := range v.Comparisons {
			t.Rows = append(t.Rows, comparisonRow(c))
		}
	}
	return t
}

func comparisonRow(c Comparison) []cell {
	return []cell{textCell(c.Sweep), textCell(c.Metric), textCell(c.Cell), textCell(c.Reference), textCell(c.What),
		intCell(c.CellSeeds), intCell(c.ReferenceSeeds), intCell(c.Pairs), textCell(c.Test.Method),
		rawCell(c.Test.Diff), rawCell(c.Test.CILow), rawCell(c.Test.CIHigh), rawCell(c.Test.T), rawCell(c.Test.DF),
		rawCell(c.Test.P), rawCell(c.HolmP), rawCell(c.SignFlipP), rawCell(c.Test.MinDetectable), textCell(c.Verdict())}
}

// statisticsNote explains how REPORT.md compares cells.
const statisticsNote = `Runs that differ only by seed form a cell. Tables give each cell's mean, standard deviation and 95% confidence interval over its seeds (Student t, n−1 degrees of freedom). Each sweep compares each of its cells with a reference cell: the cell of the experiment file's defaults (which may belong to another sweep, e.g. the baseline), or the one the sweep names with ` + "`reference:`" + `.

- A seed fixes the initial weights, the dropout masks and the batch order, so two cells' runs of the same seed share their randomness: the difference is tested pair by pair over the seeds both cells have (paired t-test; its 95% CI is that of the mean difference), and, with at most 16 pairs, also by the exact sign-flip permutation test (all 2^n sign patterns; with 5 pairs it cannot go below 2/32 = 0.0625, so it confirms rather than decides). Cells sharing fewer than two seeds are compared by Welch's t-test.
- p-values are two-sided and Holm-adjusted over the sweep's comparisons of the same metric; a verdict says higher or lower when the adjusted p is below 0.05, else "not distinguishable", with the smallest difference this many seeds would detect at this noise (80% power, two-sided 0.05, (t[0.975] + t[0.80]) × standard error).
- A cell of one seed has no spread: it gets no interval and no verdict.
`

// CompareRuns compares two groups of finished runs on a metric (one of
// MetricKeys), a minus b: each group is one cell, or any runs with at most
// one run a seed, paired by seed as a sweep's comparisons are.
func CompareRuns(a, b []*results.Record, metric string) (Comparison, error) {
	m, ok := metricByKey(metric)
	if !ok {
		return Comparison{}, fmt.Errorf("unknown metric %q; valid: %s", metric, strings.Join(MetricKeys(), ", "))
	}
	ca, err := oneGroup(a)
	if err != nil {
		return Comparison{}, err
	}
	cb, err := oneGroup(b)
	if err != nil {
		return Comparison{}, err
	}
	return compareCells(ca, cb, m), nil
}

// oneGroup makes a seed cell of runs, refusing two runs of one seed (which
// could not be paired).
func oneGroup(recs []*results.Record) (*seedCell, error) {
	if len(recs) == 0 {
		return nil, fmt.Errorf("no finished run")
	}
	g := &seedCell{Key: recs[0].Run.CellHash(), Label: cellLabel(recs[0].Run.ID)}
	seen := map[int64]string{}
	for _, r := range recs {
		if other, dup := seen[r.Run.Seed]; dup {
			return nil, fmt.Errorf("runs %s and %s both have seed %d; choose runs of one cell (at most one run a seed)", other, r.Run.ID, r.Run.Seed)
		}
		seen[r.Run.Seed] = r.Run.ID
		g.add(r)
	}
	if cells := groupSeedCells(recs); len(cells) > 1 {
		g.Label = fmt.Sprintf("%d runs", len(recs))
	}
	return g, nil
}
