package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"convlab/report/stats"
	"convlab/runner/results"
)

// cellMetric is a number of each run that tables aggregate over a cell's
// seeds and comparisons test.
type cellMetric struct {
	// Key names the CSV columns (Key_mean, Key_sd, ...) and the metric in
	// comparisons.csv and `convlab compare --metric`.
	Key string
	// Title is its Markdown column title; Phrase how a sentence names it.
	Title, Phrase string
	// Seconds is true for a time, written as a duration in Markdown.
	Seconds bool
	of      func(*results.Record) (float64, bool)
}

// cellMetrics are every metric a cell is summarised by, in CSV order:
// the last epoch's training and validation accuracy and loss (Keras'
// history names, the study's Train and Validate Accuracy), the trained
// model on the test set, and the wall time of training.
var cellMetrics = []cellMetric{
	{"accuracy", "Train Accuracy", "training accuracy", false, func(r *results.Record) (float64, bool) {
		e, ok := lastEpoch(r)
		return e.Accuracy, ok
	}},
	{"val_accuracy", "Validate Accuracy", "validation accuracy", false, func(r *results.Record) (float64, bool) {
		e, ok := lastEpoch(r)
		return e.ValAccuracy, ok
	}},
	{"test_accuracy", "Test Accuracy", "test accuracy", false, func(r *results.Record) (float64, bool) {
		return r.Metrics.Test.Accuracy, true
	}},
	{"loss", "Train Loss", "training loss", false, func(r *results.Record) (float64, bool) {
		e, ok := lastEpoch(r)
		return e.Loss, ok
	}},
	{"val_loss", "Validate Loss", "validation loss", false, func(r *results.Record) (float64, bool) {
		e, ok := lastEpoch(r)
		return e.ValLoss, ok
	}},
	{"test_loss", "Test Loss", "test loss", false, func(r *results.Record) (float64, bool) {
		return r.Metrics.Test.Loss, true
	}},
	{"train_seconds", "Running Time", "running time", true, func(r *results.Record) (float64, bool) {
		return r.Metrics.TrainSeconds, true
	}},
}

// markdownMetrics are the metrics Markdown tables show: the study's Train
// Accuracy, Validate Accuracy and Running Time, and the test accuracy.
var markdownMetrics = []string{"accuracy", "val_accuracy", "train_seconds", "test_accuracy"}

// MetricKeys lists the keys of the metrics cells are compared on.
func MetricKeys() []string {
	keys := make([]string, len(cellMetrics))
	for i, m := range cellMetrics {
		keys[i] = m.Key
	}
	return keys
}

func metricByKey(key string) (cellMetric, bool) {
	for _, m := range cellMetrics {
		if m.Key == key {
			return m, true
		}
	}
	return cellMetric{}, false
}

// values are the metric's values of the cell's runs, by seed, with the
// seeds they belong to (a run without the metric is left out).
func (c *seedCell) values(m cellMetric) ([]float64, []int64) {
	var vals []float64
	var seeds []int64
	for _, r := range c.Recs {
		if v, ok := m.of(r); ok {
			vals = append(vals, v)
			seeds = append(seeds, r.Run.Seed)
		}
	}
	return vals, seeds
}

func (c *seedCell) summary(m cellMetric) stats.Summary {
	v, _ := c.values(m)
	return stats.Summarize(v)
}

// runIDs are the ids of the cell's runs, by seed.
func (c *seedCell) runIDs() []string {
	ids := make([]string, len(c.Recs))
	for i, r := range c.Recs {
		ids[i] = r.Run.ID
	}
	return ids
}

// leadColumn is a column before the metrics of a cell table: a setting
// the cells differ by.
type leadColumn struct {
	key, title string
	value      func(*seedCell) cell
}

func axisColumn(axis string) leadColumn {
	return leadColumn{axis, axisNames[axis], func(c *seedCell) cell { return axisCell(c.Recs[0], axis) }}
}

// cellTable is a table of seed cells in two forms: CSV with one value a
// column (mean, sd and CI bounds of every metric) and Markdown with one
// compact "mean ± sd (CI)" entry a metric.
type cellTable struct {
	CSV, MD table
	// OneSeed is true when some cell has a single seed (no sd or CI).
	OneSeed bool
}

func newCellTable(lead []leadColumn, cells []*seedCell) cellTable {
	var t cellTable
	for _, l := range lead {
		t.CSV.Header = append(t.CSV.Header, l.key)
		t.MD.Header = append(t.MD.Header, l.title)
	}
	for _, m := range cellMetrics {
		t.CSV.Header = append(t.CSV.Header, m.Key+"_mean", m.Key+"_sd", m.Key+"_ci95_low", m.Key+"_ci95_high")
	}
	t.CSV.Header = append(t.CSV.Header, "seeds", "params", "cell", "run_ids")
	for _, k := range markdownMetrics {
		m, _ := metricByKey(k)
		t.MD.Header = append(t.MD.Header, m.Title)
	}
	t.MD.Header = append(t.MD.Header, "Seeds", "Params", "Cell")
	for _, c := range cells {
		var csvRow, mdRow []cell
		for _, l := range lead {
			v := l.value(c)
			csvRow = append(csvRow, v)
			mdRow = append(mdRow, v)
		}
		for _, m := range cellMetrics {
			s := c.summary(m)
			csvRow = append(csvRow, rawCell(s.Mean), rawCell(s.SD), rawCell(s.CILow), rawCell(s.CIHigh))
		}
		for _, k := range markdownMetrics {
			m, _ := metricByKey(k)
			mdRow = append(mdRow, textCell(summaryText(c.summary(m), m.Seconds)))
		}
		seeds := intCell(len(c.Recs))
		params := intCell(c.Recs[0].Metrics.Params)
		csvRow = append(csvRow, seeds, params, textCell(c.Label), textCell(strings.Join(c.runIDs(), ";")))
		mdRow = append(mdRow, seeds, params, textCell(c.Label))
		t.CSV.Rows = append(t.CSV.Rows, csvRow)
		t.MD.Rows = append(t.MD.Rows, mdRow)
		if len(c.Recs) < 2 {
			t.OneSeed = true
		}
	}
	return t
}

// rawCell is an unformatted number for CSV; empty when undefined (NaN),
// so that a spreadsheet sees a blank rather than text.
func rawCell(v float64) cell {
	if math.IsNaN(v) {
		return textCell("")
	}
	return cell{results.FormatFloat(v), results.FormatFloat(v)}
}

// summaryText is "mean ± sd (95% CI low to high)", or the mean alone for
// a single seed.
func summaryText(s stats.Summary, seconds bool) string {
	f := func(v float64) string { return fmt.Sprintf("%.4f", v) }
	if seconds {
		f = formatSeconds
	}
	switch {
	case s.N == 0:
		return ""
	case s.N == 1:
		return f(s.Mean)
	}
	return fmt.Sprintf("%s ± %s (%s to %s)", f(s.Mean), f(s.SD), f(s.CILow), f(s.CIHigh))
}

// cellTableNote explains a cell table's entries in REPORT.md.
func cellTableNote(t cellTable) string {
	note := "Each entry: mean ± standard deviation over the cell's seeds (95% confidence interval of the mean, Student t). " +
		"Train and Validate Accuracy: the last epoch's `accuracy` and `val_accuracy`; Test Accuracy: the trained model on the test set; Running Time: the wall time of training."
	if t.OneSeed {
		note += " A cell of one seed shows its value alone: one seed gives no spread, so no standard deviation, interval or verdict; add `repeats:` to the experiment file for them."
	}
	return note
}

func seedsText(n int) string {
	if n == 1 {
		return "1 seed"
	}
	return strconv.Itoa(n) + " seeds"
}
