package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"

	"convlab/runner/results"
)

func TestFormatting(t *testing.T) {
	for _, tt := range []struct {
		v    int
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {37146, "37,146"}, {1234567, "1,234,567"}, {-5000, "-5,000"}} {
		if got := groupThousands(tt.v); got != tt.want {
			t.Errorf("groupThousands(%d) = %q, want %q", tt.v, got, tt.want)
		}
	}
	for _, tt := range []struct {
		s    float64
		want string
	}{{0, "0.0 s"}, {38.698, "38.7 s"}, {59.94, "59.9 s"}, {76.674, "1 min 16 s"}, {301.07, "5 min 01 s"}, {3725, "1 h 02 min"}} {
		if got := formatSeconds(tt.s); got != tt.want {
			t.Errorf("formatSeconds(%v) = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func TestEncodeRunsColumns(t *testing.T) {
	empty, err := EncodeRuns(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(empty), strings.Join(RunColumns(), ",")+"\n"; got != want {
		t.Errorf("empty runs.csv = %q, want %q", got, want)
	}
	recs, _ := fixtureRecords()
	b, err := EncodeRuns(recs[:1])
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || lines[0] != strings.Join(RunColumns(), ",") {
		t.Fatalf("runs.csv header %q, want %q", lines[0], strings.Join(RunColumns(), ","))
	}
	// Numbers are unformatted: l1 1e-4 is written as strconv 'g' writes it.
	if !strings.Contains(lines[1], ",0.0001,20,128,0.1,1,adam,0.001,37146,") {
		t.Errorf("runs.csv row %q lacks the run's settings", lines[1])
	}
}

// The columns of runs.csv are pinned here, written out, since RunColumns
// derives them from RunRow's tags; Values gives each record's cells as
// runs.csv holds them, read back here with encoding/csv.
func TestRunColumnsAndValues(t *testing.T) {
	want := []string{"run_id", "hash", "sweeps", "dataset", "arch", "n", "l1", "epochs", "batch_size",
		"validation_split", "seed", "optimizer", "learning_rate", "params", "train_accuracy", "train_loss",
		"val_accuracy", "val_loss", "test_accuracy", "test_loss", "last_accuracy", "last_val_accuracy",
		"baseline_train", "baseline_test", "train_seconds", "tool_version", "git_commit", "git_dirty", "host",
		"cores", "finished"}
	if got := RunColumns(); !slices.Equal(got, want) {
		t.Errorf("RunColumns() = %q, want %q", got, want)
	}
	recs, _ := fixtureRecords()
	b, err := EncodeRuns(recs)
	if err != nil {
		t.Fatal(err)
	}
	table, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, rec := range recs {
		got := NewRunRow(rec).Values()
		if len(got) != len(want) {
			t.Errorf("%s: %d values, want %d", rec.Run.ID, len(got), len(want))
		}
		for j, col := range table[0] {
			if got[col] != table[i+1][j] {
				t.Errorf("%s: %s = %q, runs.csv has %q", rec.Run.ID, col, got[col], table[i+1][j])
			}
		}
	}
}

// view is a sweep view of the records, grouped into cells as newContents does.
func view(info SweepInfo, recs ...*results.Record) *sweepView {
	return &sweepView{SweepInfo: info, Recs: recs, Cells: groupSeedCells(recs)}
}

// Table 1 sorts by data amount whatever the sweep's order; Table 2 keeps
// the sweep's order.
func TestSweepTableOrder(t *testing.T) {
	recs, _ := fixtureRecords()
	byID := map[string]*results.Record{}
	for _, r := range recs {
		byID[r.Run.ID] = r
	}
	v := view(SweepInfo{Name: "data_amount", Feeds: []string{"table1"}, Axes: []string{"n"}},
		byID["strided-n40000-l1_0.0001"], byID["strided-n5000-l1_0.0001"], byID["strided-n20000-l1_0.0001"])
	tab := sweepTable(v)
	if got := strings.Join(tab.MD.Header, ","); got != "Data Amount,Train Accuracy,Validate Accuracy,Running Time,Test Accuracy,Seeds,Params,Cell" {
		t.Errorf("Table 1 header %q", got)
	}
	if got := strings.Join(tab.CSV.Header[:6], ","); got != "n,accuracy_mean,accuracy_sd,accuracy_ci95_low,accuracy_ci95_high,val_accuracy_mean" {
		t.Errorf("Table 1 CSV header %q", got)
	}
	var ns []string
	for _, r := range tab.CSV.Rows {
		ns = append(ns, r[0].Raw)
	}
	if got := strings.Join(ns, " "); got != "5000 20000 40000" {
		t.Errorf("Table 1 order %q, want 5000 20000 40000", got)
	}
	// One seed: the mean is the run's last epoch, no sd or interval.
	last := byID["strided-n5000-l1_0.0001"].History[19]
	row := tab.CSV.Rows[0]
	if row[1].Raw != results.FormatFloat(last.Accuracy) || row[2].Raw != "" || row[3].Raw != "" || row[5].Raw != results.FormatFloat(last.ValAccuracy) {
		t.Errorf("Table 1 row %v, want the last epoch's %v %v and no spread", row[:6], last.Accuracy, last.ValAccuracy)
	}
	if md := tab.MD.Rows[0][2].Text; md != fmt.Sprintf("%.4f", last.ValAccuracy) || !tab.OneSeed {
		t.Errorf("Table 1 Markdown validation accuracy %q, want the value alone", md)
	}

	v = view(SweepInfo{Name: "l1", Feeds: []string{"table2"}, Axes: []string{"l1"}},
		byID["strided-n5000-l1_0.1"], byID["strided-n5000-l1_0"], byID["strided-n5000-l1_10"])
	tab = sweepTable(v)
	var l1s []string
	for _, r := range tab.MD.Rows {
		l1s = append(l1s, r[0].Raw)
	}
	if got := strings.Join(l1s, " "); got != "0.1 0 10" || tab.MD.Header[0] != "L1" || tab.CSV.Header[0] != "l1" {
		t.Errorf("Table 2: header %q, order %q; want L1 and 0.1 0 10", tab.MD.Header[0], got)
	}

	// A generic sweep: its axes first, but not the seed.
	v = view(SweepInfo{Name: "grid", Axes: []string{"arch", "n", "seed"}}, recs[10:12]...)
	tab = sweepTable(v)
	if got := strings.Join(tab.MD.Header[:3], ","); got != "Architecture,Data Amount,Train Accuracy" {
		t.Errorf("generic header %q", got)
	}
	if got := tab.MD.Rows[1][0].Raw + " " + tab.MD.Rows[1][1].Raw + " " + tab.MD.Rows[1][1].Text; got != "deeper 50000 50,000" {
		t.Errorf("generic row %q", got)
	}
}

func TestMarkdownEscapes(t *testing.T) {
	tab := table{Header: []string{"a|b"}, Rows: [][]cell{{textCell("x|y")}}}
	if got, want := tab.markdown(), "| a\\|b |\n| --- |\n| x\\|y |\n"; got != want {
		t.Errorf("markdown %q, want %q", got, want)
	}
}

func TestTableName(t *testing.T) {
	for _, tt := range []struct{ sweep, want string }{
		{"l1", "tables/l1.csv"}, {"runs", "tables/sweep_runs.csv"}, {"baselines", "tables/sweep_baselines.csv"},
		{"a b/c", "tables/a_b_c.csv"}, {"..", "tables/_.csv"},
	} {
		if got := tableName(tt.sweep); got != tt.want {
			t.Errorf("tableName(%q) = %q, want %q", tt.sweep, got, tt.want)
		}
	}
}
