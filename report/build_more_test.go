package report

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"convlab/runner/results"
	"convlab/runner/spec"
)

// smallTree writes a tree of three short runs of the fixture: two of the
// l1 sweep and one of no sweep; the sweep also lists a run not trained.
func smallTree(t *testing.T) (root string, recs []*results.Record) {
	t.Helper()
	all, _ := fixtureRecords()
	for _, i := range []int{4, 7, 11} {
		r := *all[i]
		r.History = r.History[:3]
		recs = append(recs, &r)
	}
	root = filepath.Join(t.TempDir(), "small")
	sweeps := []SweepInfo{{Name: "l1", Feeds: []string{"table2", "figure4"}, Axes: []string{"l1"},
		RunIDs: []string{recs[0].Run.ID, "strided-n5000-l1_99", recs[1].Run.ID}}}
	writeTree(t, root, recs, sweeps)
	return root, recs
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBuildSmallTree(t *testing.T) {
	root, _ := smallTree(t)
	// Leftovers of an earlier build, and a file of the user's.
	for _, p := range []string{"tables/old.csv", "figures/runs/gone/curves.png", "tables/notes.txt"} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(root, p), []byte("x"), 0o644)
	}
	if err := Build(root, nil); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"tables/old.csv", "figures/runs/gone/curves.png", "figures/runs/gone"} {
		if _, err := os.Stat(filepath.Join(root, p)); err == nil {
			t.Errorf("stale %s was not removed", p)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "tables/notes.txt")); err != nil {
		t.Errorf("the user's tables/notes.txt was removed: %v", err)
	}
	rep := readFile(t, filepath.Join(root, ReportFile))
	for _, want := range []string{
		"1 of its 3 runs have not finished yet: strided-n5000-l1_99.",
		"## 6. Runs not in the report",
		"- `runs/deeper-n50000-l1_0.0001-",
		"![Table 2 / Figure 4 (sweep l1)](figures/l1_curves.png)",
		"| 0.001 | ", "| dropout (Dropout) | (None, 8, 8, 32) | 0 |",
	} {
		if !strings.Contains(rep, want) {
			t.Errorf("REPORT.md lacks %q", want)
		}
	}
	if strings.Contains(rep, "deeper-n50000-l1_0.0001](#") {
		t.Errorf("REPORT.md evaluates a run that is in no sweep")
	}
	l1 := readFile(t, filepath.Join(root, "tables", "l1.csv"))
	if lines := strings.Count(l1, "\n"); lines != 3 {
		t.Errorf("l1.csv has %d lines, want a header and two runs:\n%s", lines, l1)
	}
}

// With a plan, Build saves the sweeps so that a later build without the
// plan gives the same report.
func TestBuildWithPlan(t *testing.T) {
	root, recs := smallTree(t)
	os.Remove(filepath.Join(root, IndexFile))
	plan := &spec.Plan{
		Files: []*spec.File{{Path: "experiments/small.yaml", Name: "small", Sweeps: []spec.Sweep{
			{Name: "l1", Feeds: []string{"table2", "figure4"}, Axes: []string{"l1"}, RunIDs: []string{recs[0].Run.ID, recs[1].Run.ID}},
		}}},
		Runs: []spec.Run{recs[0].Run, recs[1].Run},
	}
	if err := Build(root, plan); err != nil {
		t.Fatal(err)
	}
	first := snapshot(t, root)
	if _, ok := first[IndexFile]; !ok {
		t.Fatalf("Build with a plan wrote no %s", IndexFile)
	}
	if err := Build(root, nil); err != nil {
		t.Fatal(err)
	}
	second := snapshot(t, root)
	for rel, b := range first {
		if string(b) != string(second[rel]) {
			t.Errorf("%s differs between the build with the plan and the one without", rel)
		}
	}
}

func TestBuildEmptyTree(t *testing.T) {
	root := filepath.Join(t.TempDir(), "nothing")
	if err := Build(root, nil); err != nil {
		t.Fatal(err)
	}
	if rep := readFile(t, filepath.Join(root, ReportFile)); !strings.Contains(rep, "No run has finished yet") {
		t.Errorf("REPORT.md of an empty tree:\n%s", rep)
	}
	if got := readFile(t, filepath.Join(root, TablesDir, RunsTable)); got != strings.Join(RunColumns(), ",")+"\n" {
		t.Errorf("runs.csv of an empty tree: %q", got)
	}
}

// runs.csv holds the runs of the report: those the sweeps list (here two
// of the tree's three; the third is in no sweep), whether written after a
// run or by a build.
func TestWriteRunsCSV(t *testing.T) {
	root, recs := smallTree(t)
	if err := WriteRunsCSV(root); err != nil {
		t.Fatal(err)
	}
	got := readFile(t, filepath.Join(root, TablesDir, RunsTable))
	if n := strings.Count(got, "\n"); n != len(recs) {
		t.Errorf("runs.csv has %d lines, want a header and the %d runs of the sweep", n, len(recs)-1)
	}
	if strings.Contains(got, "\n"+recs[2].Run.ID+",") {
		t.Errorf("runs.csv lists %s, which is in no sweep:\n%s", recs[2].Run.ID, got)
	}
}

// WriteRunsCSV, called after every run, writes the runs.csv that Build
// writes: with the sweeps of sweeps.json, with a plan's, and with sweeps
// derived from the records.
func TestWriteRunsCSVMatchesBuild(t *testing.T) {
	root, recs := smallTree(t)
	check := func(what string, plan ...*spec.Plan) {
		t.Helper()
		csvPath := filepath.Join(root, TablesDir, RunsTable)
		os.Remove(csvPath)
		if err := WriteRunsCSV(root, plan...); err != nil {
			t.Fatal(err)
		}
		during := readFile(t, csvPath)
		if err := Build(root, plan...); err != nil {
			t.Fatal(err)
		}
		if after := readFile(t, csvPath); after != during {
			t.Errorf("%s: runs.csv differs between WriteRunsCSV and Build:\n--- WriteRunsCSV\n%s--- Build\n%s", what, during, after)
		}
	}
	check("sweeps.json")
	plan := &spec.Plan{
		Files: []*spec.File{{Path: "experiments/small.yaml", Name: "small", Sweeps: []spec.Sweep{
			{Name: "l1", Feeds: []string{"table2", "figure4"}, Axes: []string{"l1"}, RunIDs: []string{recs[0].Run.ID, recs[2].Run.ID}},
		}}},
		Runs: []spec.Run{recs[0].Run, recs[2].Run},
	}
	os.Remove(filepath.Join(root, IndexFile))
	check("plan", plan)
	if got := readFile(t, filepath.Join(root, TablesDir, RunsTable)); !strings.Contains(got, "\n"+recs[2].Run.ID+",") || strings.Contains(got, "\n"+recs[1].Run.ID+",") {
		t.Errorf("runs.csv with the plan does not hold the plan's runs:\n%s", got)
	}
	os.Remove(filepath.Join(root, IndexFile))
	check("derived sweeps")
}

// A record without its hash is matched with its directory both ways:
// DeriveSweeps and the report name it alike.
func TestRecordWithoutHash(t *testing.T) {
	recs, _ := fixtureRecords()
	r := *recs[0]
	r.Hash = ""
	sweeps := DeriveSweeps([]*results.Record{&r})
	m := newContents("x", []*results.Record{&r}, sweeps)
	for _, v := range m.Sweeps {
		if len(v.Missing) > 0 || len(v.Recs) != 1 {
			t.Errorf("sweep %s: runs %d, missing %v; want the record found", v.Name, len(v.Recs), v.Missing)
		}
	}
	if got, want := dirName(&r), results.RunDirName(r.Run); got != want {
		t.Errorf("dirName = %q, want %q", got, want)
	}
}

func TestFiguresOddInput(t *testing.T) {
	recs, _ := fixtureRecords()
	r := *recs[0]
	r.History = append([]results.Epoch(nil), r.History[:4]...)
	r.History[2].Loss = math.NaN()
	r.History[3].ValLoss = math.Inf(1)
	if b, err := CurvesFigure(&r); err != nil {
		t.Errorf("curves with a diverged epoch: %v", err)
	} else {
		checkPNG(t, "curves with NaN", b)
	}
	one := *recs[1]
	one.History = one.History[:1]
	if _, err := OverlayFigure("one epoch", []*results.Record{&one}, nil); err != nil {
		t.Errorf("overlay of a one-epoch run: %v", err)
	}
	none := *recs[2]
	none.History = nil
	if _, err := ArchFigure("no history", []*results.Record{&none}); err != nil {
		t.Errorf("comparison of a run without history: %v", err)
	}
	if _, err := OverlayFigure("empty", nil, nil); err == nil {
		t.Error("overlay of no runs: want an error")
	}
	if _, err := ConfusionFigure("ragged", [][]int{{1, 2}, {3}}, nil); err == nil || !strings.Contains(err.Error(), "row 2 has 1 counts, want 2") {
		t.Errorf("ragged confusion matrix: err = %v", err)
	}
	b, err := ConfusionFigure("zeros", [][]int{{0, 0}, {0, 0}}, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, "zeros", b)
}

// Build with a plan saves the plan's sweeps to sweeps.json, for a later
// Build without the experiment file.
func TestBuildSavesPlanIndex(t *testing.T) {
	root, recs := smallTree(t)
	plan := &spec.Plan{
		Files: []*spec.File{{Path: "experiments/small.yaml", Name: "small", Sweeps: []spec.Sweep{
			{Name: "one", RunIDs: []string{recs[0].Run.ID}},
		}}},
		Runs: []spec.Run{recs[0].Run},
	}
	if err := Build(root, plan); err != nil {
		t.Fatal(err)
	}
	sweeps, ok, err := ReadPlanIndex(root)
	if err != nil || !ok || len(sweeps) != 1 || sweeps[0].Name != "one" || sweeps[0].RunDirs[0] != results.RunDirName(recs[0].Run) {
		t.Errorf("index after Build with a plan: %+v, %v, %v", sweeps, ok, err)
	}
	if err := Build(root, plan, plan); err == nil || !strings.Contains(err.Error(), "2 plans given; want one or none") {
		t.Errorf("Build with two plans: err = %v", err)
	}
}
