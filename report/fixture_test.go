package report

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"convlab/arch"
	"convlab/runner/results"
	"convlab/runner/spec"
)

var update = flag.Bool("update", false, "rewrite testdata golden files and the fixture tree")

// fixtureRoot is a results tree of the whole study with plausible numbers,
// written by fixtureTree when -update is given.
var fixtureRoot = filepath.Join("testdata", "tree", "report")

var cifarClasses = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

// fixtureSweeps are the study's sweeps (experiments/report.yaml).
func fixtureSweeps(runs map[string]spec.Run) []SweepInfo {
	sw := []SweepInfo{
		{Name: "figure2", Feeds: []string{"figure2"}, RunIDs: []string{"strided-n5000-l1_0.0001"}},
		{Name: "data_amount", Feeds: []string{"table1", "figure3"}, Axes: []string{"n"},
			RunIDs: []string{"strided-n5000-l1_0.0001", "strided-n10000-l1_0.0001", "strided-n20000-l1_0.0001", "strided-n40000-l1_0.0001"}},
		{Name: "l1", Feeds: []string{"table2", "figure4"}, Axes: []string{"l1"},
			RunIDs: []string{"strided-n5000-l1_0.001", "strided-n5000-l1_0.01", "strided-n5000-l1_0.1", "strided-n5000-l1_0", "strided-n5000-l1_1", "strided-n5000-l1_10"}},
		{Name: "architectures", Feeds: []string{"figure5"}, Axes: []string{"arch"},
			RunIDs: []string{"strided-n5000-l1_0.0001", "maxpool-n5000-l1_0.0001"}},
		{Name: "deeper", Feeds: []string{"figure6"}, RunIDs: []string{"deeper-n50000-l1_0.0001"}},
	}
	for i := range sw {
		// Each sweep is compared with the defaults' cell, the baseline's.
		sw[i].Reference = runs["strided-n5000-l1_0.0001"].CellHash()
		for _, id := range sw[i].RunIDs {
			sw[i].RunDirs = append(sw[i].RunDirs, results.RunDirName(runs[id]))
		}
	}
	return sw
}

// fixtureRecords makes the study's twelve runs with plausible histories
// and evaluations, deterministically.
func fixtureRecords() ([]*results.Record, []SweepInfo) {
	type cfg struct {
		arch   string
		n      int
		l1     float64
		sweeps []string
		feeds  []string
	}
	cfgs := []cfg{
		{"strided", 5000, 1e-4, []string{"figure2", "data_amount", "architectures"}, []string{"figure2", "table1", "figure3", "figure5"}},
		{"strided", 10000, 1e-4, []string{"data_amount"}, []string{"table1", "figure3"}},
		{"strided", 20000, 1e-4, []string{"data_amount"}, []string{"table1", "figure3"}},
		{"strided", 40000, 1e-4, []string{"data_amount"}, []string{"table1", "figure3"}},
		{"strided", 5000, 0.001, []string{"l1"}, []string{"table2", "figure4"}},
		{"strided", 5000, 0.01, []string{"l1"}, []string{"table2", "figure4"}},
		{"strided", 5000, 0.1, []string{"l1"}, []string{"table2", "figure4"}},
		{"strided", 5000, 0, []string{"l1"}, []string{"table2", "figure4"}},
		{"strided", 5000, 1, []string{"l1"}, []string{"table2", "figure4"}},
		{"strided", 5000, 10, []string{"l1"}, []string{"table2", "figure4"}},
		{"maxpool", 5000, 1e-4, []string{"architectures"}, []string{"figure5"}},
		{"deeper", 50000, 1e-4, []string{"deeper"}, []string{"figure6"}},
	}
	runs := map[string]spec.Run{}
	var recs []*results.Record
	for i, c := range cfgs {
		a, err := arch.Preset(c.arch)
		if err != nil {
			panic(err)
		}
		run := spec.Run{
			ID:     fmt.Sprintf("%s-n%d-l1_%s", c.arch, c.n, results.FormatFloat(c.l1)),
			Sweeps: c.sweeps, Feeds: c.feeds, File: "experiments/report.yaml",
			Dataset: "cifar10", Arch: a, N: c.n, L1: c.l1, Epochs: 20, BatchSize: 128, ValidationSplit: 0.1,
			Seed: 1, Optimizer: spec.DefaultOptimizer(),
		}
		runs[run.ID] = run
		rng := rand.New(rand.NewPCG(uint64(i+1), 7))
		// Final accuracies: more data helps, strong L1 hurts.
		top := 0.42 + 0.05*math.Log2(float64(c.n)/5000)
		switch {
		case c.l1 >= 10:
			top = 0.10
		case c.l1 >= 1:
			top = 0.18
		case c.l1 >= 0.1:
			top = 0.33
		}
		if c.arch == "maxpool" {
			top += 0.04
		}
		params, _ := a.ParamCount(arch.Shape{C: 3, H: 32, W: 32})
		perEpoch := float64(c.n) / 5000 * 1.9 * float64(params) / 37146
		var hist []results.Epoch
		for e := 1; e <= 20; e++ {
			x := 1 - math.Exp(-float64(e)/5)
			acc := 0.12 + (top+0.06-0.12)*x + 0.004*rng.NormFloat64()
			val := 0.14 + (top-0.14)*x + 0.012*rng.NormFloat64()
			l1pen := c.l1 * 40 * (1 - 0.5*x)
			hist = append(hist, results.Epoch{
				Epoch: e, Accuracy: round4(acc), ValAccuracy: round4(val),
				Loss:    round4(-math.Log(acc+0.05) + 0.25 + l1pen),
				ValLoss: round4(-math.Log(val+0.04) + 0.3 + l1pen + 0.01*rng.NormFloat64()),
				Seconds: round4(perEpoch * (1 + 0.03*rng.NormFloat64())),
			})
		}
		total := 0.0
		for _, e := range hist {
			total += e.Seconds
		}
		last := hist[len(hist)-1]
		nTrain := c.n - int(float64(c.n)*0.1)
		trainEv := fixtureEval(rng, nTrain, last.Accuracy+0.03, last.Loss-0.05)
		valEv := fixtureEval(rng, c.n-nTrain, last.ValAccuracy, last.ValLoss)
		testEv := fixtureEval(rng, 1000, last.ValAccuracy-0.01, last.ValLoss+0.02)
		recs = append(recs, &results.Record{
			Run: run, Hash: run.Hash(), History: hist,
			Metrics: results.Metrics{Train: trainEv, Validation: valEv, Test: testEv, BaselineLabel: 6,
				BaselineTrain: round4(0.1 + 0.004/math.Sqrt(float64(c.n)/5000)), BaselineTest: 0.1,
				TrainSeconds: round4(total + 0.8), Params: params},
			Provenance: results.Provenance{ToolVersion: "v0.1.0", GitCommit: "5717eea", Host: "node1", Cores: 2,
				Finished: fmt.Sprintf("2026-11-25T%02d:%02d:00Z", 10+i/6, (i%6)*10)},
		})
	}
	return recs, fixtureSweeps(runs)
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

// fixtureEval draws labels and predictions with about the given accuracy
// and scores them as training does.
func fixtureEval(rng *rand.Rand, n int, acc, loss float64) results.Evaluation {
	yt := make([]int, n)
	yp := make([]int, n)
	for i := range yt {
		yt[i] = rng.IntN(10)
		// Some classes are harder: cats and birds are confused more.
		p := acc * (1 + 0.25*math.Cos(float64(yt[i])))
		if rng.Float64() < p {
			yp[i] = yt[i]
		} else {
			yp[i] = (yt[i] + 1 + rng.IntN(3)*rng.IntN(4)) % 10
		}
	}
	rep := results.ComputeReport(yt, yp, cifarClasses)
	return results.Evaluation{Accuracy: rep.Accuracy, Loss: round4(loss), Report: rep, Confusion: results.Confusion(yt, yp, 10)}
}

// writeTree writes records and sweeps as the runner would: every run's
// files and DONE, and sweeps.json.
func writeTree(t testing.TB, root string, recs []*results.Record, sweeps []SweepInfo) {
	t.Helper()
	for _, r := range recs {
		dir := results.RunDir(root, r.Run)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := results.WriteRunFiles(dir, r); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, results.DoneFile), []byte("{}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if sweeps != nil {
		idx := &planIndex{File: "experiments/" + filepath.Base(root) + ".yaml",
			Description: "The study's report, with invented numbers (a test fixture).", Sweeps: sweeps}
		if err := writeIndex(root, idx); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFixtureTree keeps testdata/tree in step with fixtureRecords: with
// -update it rewrites it; otherwise it checks that it reads back equal.
func TestFixtureTree(t *testing.T) {
	recs, sweeps := fixtureRecords()
	if *update {
		if err := os.RemoveAll(fixtureRoot); err != nil {
			t.Fatal(err)
		}
		writeTree(t, fixtureRoot, recs, sweeps)
	}
	got, err := results.ReadTree(fixtureRoot)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(recs) {
		t.Fatalf("fixture tree has %d runs, want %d (run go test -update)", len(got), len(recs))
	}
}
