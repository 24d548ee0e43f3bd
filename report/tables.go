package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gocarina/gocsv"

	"convlab/runner/results"
)

// num is a number written to CSV unformatted: the shortest text that
// reads back as the same float64.
type num float64

// MarshalCSV implements gocsv's TypeMarshaller.
func (n num) MarshalCSV() (string, error) { return results.FormatFloat(float64(n)), nil }

// RunRow is one row of runs.csv.
type RunRow struct {
	RunID           string `csv:"run_id"`
	Hash            string `csv:"hash"`
	Sweeps          string `csv:"sweeps"` // separated by ";"
	Dataset         string `csv:"dataset"`
	Arch            string `csv:"arch"`
	N               int    `csv:"n"`
	L1              num    `csv:"l1"`
	Epochs          int    `csv:"epochs"`
	BatchSize       int    `csv:"batch_size"`
	ValidationSplit num    `csv:"validation_split"`
	Seed            int64  `csv:"seed"`
	Optimizer       string `csv:"optimizer"`
	LearningRate    num    `csv:"learning_rate"`
	Params          int    `csv:"params"`
	TrainAccuracy   num    `csv:"train_accuracy"`
	TrainLoss       num    `csv:"train_loss"`
	ValAccuracy     num    `csv:"val_accuracy"`
	ValLoss         num    `csv:"val_loss"`
	TestAccuracy    num    `csv:"test_accuracy"`
	TestLoss        num    `csv:"test_loss"`
	LastAccuracy    num    `csv:"last_accuracy"`
	LastValAccuracy num    `csv:"last_val_accuracy"`
	BaselineTrain   num    `csv:"baseline_train"`
	BaselineTest    num    `csv:"baseline_test"`
	TrainSeconds    num    `csv:"train_seconds"`
	ToolVersion     string `csv:"tool_version"`
	GitCommit       string `csv:"git_commit"`
	GitDirty        bool   `csv:"git_dirty"`
	Host            string `csv:"host"`
	Cores           int    `csv:"cores"`
	Finished        string `csv:"finished"`
}

// lastEpoch is the final row of a run's history (zero when it has none).
func lastEpoch(r *results.Record) (results.Epoch, bool) {
	if len(r.History) == 0 {
		return results.Epoch{}, false
	}
	return r.History[len(r.History)-1], true
}

// NewRunRow summarises a record as one row of runs.csv.
func NewRunRow(r *results.Record) RunRow {
	last, _ := lastEpoch(r)
	m, p := r.Metrics, r.Provenance
	return RunRow{
		RunID: r.Run.ID, Hash: r.Hash, Sweeps: strings.Join(r.Run.Sweeps, ";"), Dataset: r.Run.Dataset,
		Arch: r.Run.Arch.Name, N: r.Run.N, L1: num(r.Run.L1), Epochs: r.Run.Epochs, BatchSize: r.Run.BatchSize,
		ValidationSplit: num(r.Run.ValidationSplit), Seed: r.Run.Seed, Optimizer: r.Run.Optimizer.Name,
		LearningRate: num(r.Run.Optimizer.LearningRate), Params: m.Params,
		TrainAccuracy: num(m.Train.Accuracy), TrainLoss: num(m.Train.Loss),
		ValAccuracy: num(m.Validation.Accuracy), ValLoss: num(m.Validation.Loss),
		TestAccuracy: num(m.Test.Accuracy), TestLoss: num(m.Test.Loss),
		LastAccuracy: num(last.Accuracy), LastValAccuracy: num(last.ValAccuracy),
		BaselineTrain: num(m.BaselineTrain), BaselineTest: num(m.BaselineTest), TrainSeconds: num(m.TrainSeconds),
		ToolVersion: p.ToolVersion, GitCommit: p.GitCommit, GitDirty: p.GitDirty, Host: p.Host, Cores: p.Cores,
		Finished: p.Finished,
	}
}

// EncodeRuns formats runs.csv: one row per record, in the given order.
func EncodeRuns(recs []*results.Record) ([]byte, error) {
	rows := make([]RunRow, 0, len(recs))
	for _, r := range recs {
		rows = append(rows, NewRunRow(r))
	}
	if len(rows) == 0 {
		// gocsv writes no header for no rows; a spreadsheet still wants one.
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		_ = w.Write(RunColumns())
		w.Flush()
		return b.Bytes(), nil
	}
	b, err := gocsv.MarshalBytes(&rows)
	if err != nil {
		return nil, fmt.Errorf("encode runs table: %w", err)
	}
	return b, nil
}

// RunColumns are the columns of runs.csv, in order: RunRow's csv tags.
func RunColumns() []string {
	t := reflect.TypeFor[RunRow]()
	cols := make([]string, t.NumField())
	for i := range cols {
		cols[i] = t.Field(i).Tag.Get("csv")
	}
	return cols
}

// Values are the row's cells by column, as runs.csv writes them, for a
// caller that wants the values without the CSV (convlab runs).
func (r RunRow) Values() map[string]string {
	v := reflect.ValueOf(r)
	t := v.Type()
	out := make(map[string]string, t.NumField())
	for i := range t.NumField() {
		var s string
		switch f := v.Field(i).Interface().(type) {
		case string:
			s = f
		case int:
			s = strconv.Itoa(f)
		case int64:
			s = strconv.FormatInt(f, 10)
		case bool:
			s = strconv.FormatBool(f)
		case num:
			s, _ = f.MarshalCSV()
		default:
			panic(fmt.Sprintf("RunRow.%s: no CSV form for %T", t.Field(i).Name, f))
		}
		out[t.Field(i).Tag.Get("csv")] = s
	}
	return out
}

// cell is a table value: Raw goes to CSV, Text to Markdown.
type cell struct{ Raw, Text string }

func textCell(s string) cell { return cell{s, s} }

func accCell(v float64) cell { return cell{results.FormatFloat(v), fmt.Sprintf("%.4f", v)} }

func secCell(v float64) cell { return cell{results.FormatFloat(v), formatSeconds(v)} }

func intCell(v int) cell { return cell{strconv.Itoa(v), groupThousands(v)} }

// table is a titled grid written both as CSV and as Markdown.
type table struct {
	Header []string
	Rows   [][]cell
}

func (t table) csv() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(t.Header)
	for _, r := range t.Rows {
		row := make([]string, len(r))
		for i, c := range r {
			row[i] = c.Raw
		}
		_ = w.Write(row)
	}
	w.Flush()
	return b.Bytes()
}

func (t table) markdown() string {
	var b strings.Builder
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	b.WriteString("|")
	for _, h := range t.Header {
		b.WriteString(" " + esc(h) + " |")
	}
	b.WriteString("\n|")
	for range t.Header {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		b.WriteString("|")
		for _, c := range r {
			b.WriteString(" " + esc(c.Text) + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// sweepTable is the table of a sweep, one row per seed cell: the study's
// Table 1 for a sweep feeding table1 (by data amount, ascending), Table 2
// for table2 (in the sweep's order), otherwise the sweep's axes (but the
// seed, which the cells aggregate over) then the metrics.
func sweepTable(v *sweepView) cellTable {
	var lead []string
	switch {
	case v.feeds("table1"):
		lead = []string{"n"}
	case v.feeds("table2"):
		lead = []string{"l1"}
	}
	for _, a := range v.Axes {
		if a != "seed" && !slices.Contains(lead, a) {
			lead = append(lead, a)
		}
	}
	cells := append([]*seedCell(nil), v.Cells...)
	if v.feeds("table1") && !v.feeds("table2") {
		sort.SliceStable(cells, func(i, j int) bool { return cells[i].Recs[0].Run.N < cells[j].Recs[0].Run.N })
	}
	cols := make([]leadColumn, len(lead))
	for i, a := range lead {
		cols[i] = axisColumn(a)
	}
	return newCellTable(cols, cells)
}

func axisCell(r *results.Record, axis string) cell {
	v := axisValue(r.Run, axis)
	if axis == "n" {
		return cell{v, groupThousands(r.Run.N)}
	}
	return textCell(v)
}

// archCells are the cells of the sweeps feeding figure5 or figure6, each
// once, in sweep order.
func archCells(m *contents) []*seedCell {
	var out []*seedCell
	seen := map[string]bool{}
	for _, v := range m.Sweeps {
		if !v.feeds("figure5", "figure6") {
			continue
		}
		for _, c := range v.Cells {
			if !seen[c.Key] {
				seen[c.Key] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// archTable compares architectures: one row per cell.
func archTable(cells []*seedCell) cellTable {
	return newCellTable([]leadColumn{axisColumn("arch"), axisColumn("n")}, cells)
}

// baselineTable lists the majority-class baseline of every distinct
// training set (data set, data amount, validation split).
func baselineTable(recs []*results.Record) table {
	t := table{Header: []string{"Dataset", "Data Amount", "Validation Split", "Majority Class",
		"Baseline Train Accuracy", "Baseline Test Accuracy"}}
	type key struct {
		ds    string
		n     int
		split float64
	}
	seen := map[key]bool{}
	sorted := append([]*results.Record(nil), recs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i].Run, sorted[j].Run
		if a.Dataset != b.Dataset {
			return a.Dataset < b.Dataset
		}
		if a.N != b.N {
			return a.N < b.N
		}
		return a.ValidationSplit < b.ValidationSplit
	})
	for _, r := range sorted {
		k := key{r.Run.Dataset, r.Run.N, r.Run.ValidationSplit}
		if seen[k] {
			continue
		}
		seen[k] = true
		label := strconv.Itoa(r.Metrics.BaselineLabel)
		if cls := results.ClassNames(r); r.Metrics.BaselineLabel >= 0 && r.Metrics.BaselineLabel < len(cls) {
			label = cls[r.Metrics.BaselineLabel]
		}
		t.Rows = append(t.Rows, []cell{textCell(r.Run.Dataset), cell{strconv.Itoa(r.Run.N), groupThousands(r.Run.N)},
			cell{results.FormatFloat(r.Run.ValidationSplit), results.FormatFloat(r.Run.ValidationSplit)},
			textCell(label), accCell(r.Metrics.BaselineTrain), accCell(r.Metrics.BaselineTest)})
	}
	return t
}

// groupThousands formats 37146 as "37,146".
func groupThousands(v int) string {
	s := strconv.Itoa(v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// formatSeconds formats a duration in seconds for a reader: "42.3 s",
// "12 min 5 s", "1 h 02 min".
func formatSeconds(s float64) string {
	switch {
	case s < 60:
		return fmt.Sprintf("%.1f s", s)
	case s < 3600:
		m := int(s) / 60
		return fmt.Sprintf("%d min %02d s", m, int(s)-60*m)
	default:
		h := int(s) / 3600
		return fmt.Sprintf("%d h %02d min", h, (int(s)-3600*h)/60)
	}
}
