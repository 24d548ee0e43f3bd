package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"convlab/arch"
	"convlab/report/stats"
	"convlab/runner/results"
	"convlab/runner/spec"
)

// seedRec is a finished run of one epoch whose last validation accuracy
// is val (training accuracy val + 0.05, test accuracy val - 0.01).
func seedRec(archName string, l1 float64, seed int64, val float64) *results.Record {
	a, err := arch.Preset(archName)
	if err != nil {
		panic(err)
	}
	run := spec.Run{Dataset: "cifar10", Arch: a, N: 1000, L1: l1, Epochs: 1, BatchSize: 128, ValidationSplit: 0.1,
		Seed: seed, Optimizer: spec.DefaultOptimizer(), File: "experiments/t.yaml"}
	run.ID = fmt.Sprintf("%s-n1000-l1_%s-e1-s%d", archName, results.FormatFloat(l1), seed)
	return &results.Record{Run: run, Hash: run.Hash(),
		History: []results.Epoch{{Epoch: 1, Accuracy: val + 0.05, ValAccuracy: val, Loss: 2 - val, ValLoss: 2.1 - val, Seconds: 10}},
		Metrics: results.Metrics{Test: results.Evaluation{Accuracy: val - 0.01, Loss: 2.2 - val}, TrainSeconds: 10 + float64(seed),
			Params: 37146},
		Provenance: results.Provenance{Finished: fmt.Sprintf("2026-12-01T10:%02d:00Z", seed)}}
}

// The example values of the stats package's Example: maxpool beats
// strided on every one of five shared seeds.
var (
	maxpoolVals = []float64{0.52, 0.50, 0.53, 0.55, 0.56}
	stridedVals = []float64{0.49, 0.46, 0.49, 0.52, 0.54}
)

func cellOf(archName string, l1 float64, firstSeed int64, vals []float64) *seedCell {
	var recs []*results.Record
	for i, v := range vals {
		recs = append(recs, seedRec(archName, l1, firstSeed+int64(i), v))
	}
	return groupSeedCells(recs)[0]
}

func TestCompareCellsPaired(t *testing.T) {
	val, _ := metricByKey("val_accuracy")
	c := compareCells(cellOf("maxpool", 1e-4, 1, maxpoolVals), cellOf("strided", 1e-4, 1, stridedVals), val)
	// By hand: differences .03 .04 .04 .03 .02, mean .032, sd
	// sqrt(70e-6 / 4) = .0083666, se .0037417, t = 8.5524 on 4 df,
	// p = 0.00103; CI .032 -+ 2.776445 * .0037417 = .02161 to .04239;
	// all five differences positive: sign-flip p 2/32.
	if c.Test.Method != "paired t" || c.Pairs != 5 || c.What != "maxpool − strided" {
		t.Fatalf("comparison %+v", c)
	}
	near := func(name string, got, want, tol float64) {
		t.Helper()
		if math.Abs(got-want) > tol {
			t.Errorf("%s = %.6g, want %.6g", name, got, want)
		}
	}
	near("diff", c.Test.Diff, 0.032, 1e-12)
	near("t", c.Test.T, 8.5524, 5e-4)
	near("p", c.Test.P, 0.00103, 2e-5)
	near("ci low", c.Test.CILow, 0.02161, 2e-5)
	near("ci high", c.Test.CIHigh, 0.04239, 2e-5)
	near("sign-flip", c.SignFlipP, 2.0/32, 1e-12)
	if v := c.Verdict(); v != "higher" {
		t.Errorf("verdict %q, want higher", v)
	}
	want := "maxpool − strided: validation accuracy +0.032 (95% CI +0.022 to +0.042), paired t p = 0.001 (sign-flip 0.062), 5 seeds: higher"
	if got := c.Sentence(); got != want {
		t.Errorf("sentence\n%s\nwant\n%s", got, want)
	}
}

func TestFormatP(t *testing.T) {
	for p, want := range map[float64]string{0.71: "0.71", 0.1: "0.10", 0.006: "0.006", 0.0625: "0.062", 0.00059: "0.00059", 0.00001: "< 0.0001", 1: "1.00"} {
		if got := formatP(p); got != want {
			t.Errorf("formatP(%v) = %q, want %q", p, got, want)
		}
	}
	c := Comparison{What: "a − b", phrase: "x", Test: stats.Test{Method: "paired t", Diff: 1, CILow: 0.5, CIHigh: 1.5, P: 1e-6, MinDetectable: 0.1}, HolmP: 1e-6, SignFlipP: math.NaN(), Pairs: 5}
	if got, want := c.Sentence(), "a − b: x +1.000 (95% CI +0.500 to +1.500), paired t p < 0.0001, 5 seeds: higher"; got != want {
		t.Errorf("sentence %q, want %q", got, want)
	}
}

func TestCompareCellsWelchAndOneSeed(t *testing.T) {
	val, _ := metricByKey("val_accuracy")
	// Seeds 1-5 against seeds 6-10: nothing to pair, Welch's test.
	c := compareCells(cellOf("maxpool", 1e-4, 1, maxpoolVals), cellOf("strided", 1e-4, 6, stridedVals), val)
	if c.Test.Method != "Welch t" || c.Pairs != 0 || !math.IsNaN(c.SignFlipP) {
		t.Errorf("no shared seeds: %+v", c)
	}
	// By hand: means .532 and .500, variances 22.8e-4 / 4 = .00057 and
	// 38e-4 / 4 = .00095, se sqrt((.00057 + .00095) / 5) = .017436,
	// t = .032 / .017436 = 1.8353.
	if math.Abs(c.Test.T-1.8353) > 5e-4 {
		t.Errorf("Welch t = %v, want 1.8353", c.Test.T)
	}
	if !strings.HasPrefix(c.Verdict(), "not distinguishable with 5 seeds (would need a difference of 0.0") {
		t.Errorf("verdict %q", c.Verdict())
	}

	one := compareCells(cellOf("maxpool", 1e-4, 1, maxpoolVals[:1]), cellOf("strided", 1e-4, 1, stridedVals), val)
	want := "maxpool − strided: validation accuracy +0.020 (no verdict: maxpool-n1000-l1_0.0001-e1 has 1 seed: no spread to judge a difference by)"
	if got := one.Sentence(); got != want || one.Significant() {
		t.Errorf("one seed:\n%s\nwant\n%s", got, want)
	}
	same := compareCells(cellOf("maxpool", 1e-4, 1, stridedVals), cellOf("strided", 1e-4, 1, stridedVals), val)
	if same.Verdict() != "the same on every seed" {
		t.Errorf("identical cells: %q", same.Verdict())
	}
}

// Cells group by their settings but the seed, whether the seeds came from
// an axis, from repeats or from two files' runs of the same settings.
func TestGroupCellsAcrossFiles(t *testing.T) {
	a := seedRec("strided", 0, 1, 0.4)
	b := seedRec("strided", 0, 2, 0.5)
	b.Run.File, b.Run.Sweeps = "experiments/other.yaml", []string{"other"}
	c := seedRec("strided", 0.001, 1, 0.45)
	cells := groupSeedCells([]*results.Record{b, c, a})
	if len(cells) != 2 || len(cells[0].Recs) != 2 || cells[0].Recs[0] != a || cells[0].Label != "strided-n1000-l1_0-e1" {
		t.Errorf("cells %+v", cells)
	}
}

// A tree of three cells of five seeds, Build's tables and comparisons
// read back, and two builds are byte-identical.
func TestBuildComparisons(t *testing.T) {
	var recs []*results.Record
	var ids []string
	l1Vals := []float64{0.48, 0.47, 0.50, 0.51, 0.55}
	for i := range 5 {
		for _, r := range []*results.Record{seedRec("strided", 1e-4, int64(i+1), stridedVals[i]),
			seedRec("maxpool", 1e-4, int64(i+1), maxpoolVals[i]), seedRec("strided", 0.001, int64(i+1), l1Vals[i])} {
			recs = append(recs, r)
		}
	}
	base := groupSeedCells(recs[:1])[0].Key
	sweepOf := func(name string, feeds []string, axis string, pick func(*results.Record) bool) SweepInfo {
		s := SweepInfo{Name: name, Feeds: feeds, Axes: []string{axis, "seed"}, Reference: base}
		for _, r := range recs {
			if pick(r) {
				s.RunIDs = append(s.RunIDs, r.Run.ID)
				ids = append(ids, r.Run.ID)
			}
		}
		return s
	}
	sweeps := []SweepInfo{
		sweepOf("architectures", []string{"figure5"}, "arch", func(r *results.Record) bool { return r.Run.L1 == 1e-4 }),
		// The l1 sweep's reference, l1 0.0001, is a cell of architectures.
		sweepOf("l1", []string{"table2"}, "l1", func(r *results.Record) bool { return r.Run.L1 == 0.001 }),
	}
	root := filepath.Join(t.TempDir(), "t")
	writeTree(t, root, recs, sweeps)
	if err := Build(root); err != nil {
		t.Fatal(err)
	}
	first := snapshot(t, root)
	if err := Build(root); err != nil {
		t.Fatal(err)
	}
	for rel, b := range snapshot(t, root) {
		if !bytes.Equal(b, first[rel]) {
			t.Errorf("%s differs between two builds", rel)
		}
	}

	rows := readCSV(t, filepath.Join(root, "tables", "architectures.csv"))
	if len(rows) != 2 {
		t.Fatalf("architectures.csv: %d rows, want 2 cells", len(rows))
	}
	// strided: mean .5, sd sqrt(38e-4 / 4) = .0308221, CI .5 -+ 2.776445 * .0308221 / sqrt(5).
	s := rows[0]
	if s["arch"] != "strided" || s["seeds"] != "5" || num64(t, s["val_accuracy_mean"]) != 0.5 ||
		math.Abs(num64(t, s["val_accuracy_sd"])-0.0308221) > 1e-6 ||
		math.Abs(num64(t, s["val_accuracy_ci95_high"])-(0.5+2.776445*0.0308221/math.Sqrt(5))) > 1e-5 ||
		s["run_ids"] != "strided-n1000-l1_0.0001-e1-s1;strided-n1000-l1_0.0001-e1-s2;strided-n1000-l1_0.0001-e1-s3;strided-n1000-l1_0.0001-e1-s4;strided-n1000-l1_0.0001-e1-s5" {
		t.Errorf("strided row %v", s)
	}
	if num64(t, s["train_seconds_mean"]) != 13 || math.Abs(num64(t, s["test_accuracy_mean"])-0.49) > 1e-12 {
		t.Errorf("strided time %s test %s, want 13 and 0.49", s["train_seconds_mean"], s["test_accuracy_mean"])
	}

	cmp := readCSV(t, filepath.Join(root, "tables", ComparisonsTable))
	// Two sweeps with one compared cell each, on 7 metrics.
	if len(cmp) != 14 {
		t.Fatalf("comparisons.csv: %d rows, want 14", len(cmp))
	}
	var found bool
	for _, c := range cmp {
		if c["sweep"] == "architectures" && c["metric"] == "val_accuracy" {
			found = true
			if c["cell"] != "maxpool-n1000-l1_0.0001-e1" || c["reference"] != "strided-n1000-l1_0.0001-e1" || c["pairs"] != "5" ||
				c["method"] != "paired t" || math.Abs(num64(t, c["diff"])-0.032) > 1e-12 || num64(t, c["sign_flip_p"]) != 0.0625 ||
				c["verdict"] != "higher" {
				t.Errorf("maxpool comparison %v", c)
			}
		}
	}
	if !found {
		t.Error("no maxpool comparison on val_accuracy")
	}
	rep := string(first[ReportFile])
	for _, want := range []string{
		"Compared with the reference cell strided-n1000-l1_0.0001-e1 (the file's defaults, of another sweep, 5 seeds; validation accuracy 0.5000 ± 0.0308 (0.4617 to 0.5383), test accuracy 0.4900 ± 0.0308 (0.4517 to 0.5283)):",
		"- maxpool − strided: validation accuracy +0.032 (95% CI +0.022 to +0.042), paired t p = 0.001 (sign-flip 0.062), 5 seeds: higher",
		"- l1 0.001 − l1 0.0001: validation accuracy +0.002",
		"## 4. How cells are compared",
	} {
		if !strings.Contains(rep, want) {
			t.Errorf("REPORT.md lacks %q", want)
		}
	}
}

func readCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func num64(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return v
}

// The reference a plan gives a sweep reaches sweeps.json, and so the
// report built without the experiment file.
func TestPlanIndexCarriesReference(t *testing.T) {
	plan, err := spec.LoadData("r.yaml", []byte(`
defaults: {n: 1000, repeats: 2}
sweeps:
  base: {feeds: [figure2]}
  named:
    reference: {l1: 0}
    grid: {l1: [0, 0.001]}
`))
	if err != nil {
		t.Fatal(err)
	}
	sweeps := indexFromPlan(plan, "r").Sweeps
	zero, _ := plan.Run("strided-n1000-l1_0-e20-s1")
	if len(sweeps) != 2 || sweeps[0].Reference != plan.Runs[0].CellHash() || sweeps[0].ReferenceNamed ||
		sweeps[1].Reference != zero.CellHash() || !sweeps[1].ReferenceNamed {
		t.Fatalf("sweeps %+v", sweeps)
	}
	root := t.TempDir()
	if err := WritePlanIndex(root, sweeps); err != nil {
		t.Fatal(err)
	}
	back, ok, err := ReadPlanIndex(root)
	if err != nil || !ok || back[1].Reference != zero.CellHash() || !back[1].ReferenceNamed {
		t.Errorf("sweeps.json read back %+v, %v, %v", back, ok, err)
	}
}
