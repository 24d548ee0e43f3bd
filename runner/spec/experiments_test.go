package spec

import (
	"errors"
	"io/fs"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The experiment files shipped in experiments/ must load; the counts below
// are worked out by hand from the study.
func TestReportYAML(t *testing.T) {
	plan, err := Load(filepath.Join("..", "..", "experiments", "report.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// figure2 1 + data_amount 4 + l1 6 + architectures 2 + deeper 1 = 14
	// grid points; the figure2 run (strided, n 5000, l1 0.0001) is also
	// data_amount's n = 5000 and architectures' strided: 14 - 2 = 12
	// cells, each of repeats: 5 seeds: 60 runs.
	if len(plan.Runs) != 60 {
		t.Fatalf("report.yaml: %d runs, want 60", len(plan.Runs))
	}
	sizes := map[string]int{"figure2": 5, "data_amount": 20, "l1": 30, "architectures": 10, "deeper": 5}
	f := plan.File("report")
	if f == nil || len(f.Sweeps) != len(sizes) {
		t.Fatalf("file report: %+v", f)
	}
	for _, s := range f.Sweeps {
		if len(s.RunIDs) != sizes[s.Name] {
			t.Errorf("sweep %s: %d runs, want %d", s.Name, len(s.RunIDs), sizes[s.Name])
		}
	}
	base := plan.Runs[0]
	if base.ID != "strided-n5000-l1_0.0001-e20-s1" ||
		!reflect.DeepEqual(base.Sweeps, []string{"figure2", "data_amount", "architectures"}) ||
		!reflect.DeepEqual(base.Feeds, []string{"table1", "figure2", "figure3", "figure5"}) {
		t.Errorf("baseline run = %s sweeps %v feeds %v", base.ID, base.Sweeps, base.Feeds)
	}
	var l1s []float64
	for _, r := range plan.SweepRuns(plan.Sweep("report", "l1")) {
		l1s = append(l1s, r.L1)
		if r.N != 5000 || r.Arch.Name != "strided" {
			t.Errorf("l1 sweep run %s is not strided n 5000", r.ID)
		}
	}
	if !reflect.DeepEqual(slices.Compact(l1s), []float64{0.001, 0.01, 0.1, 0, 1, 10}) {
		t.Errorf("l1 sweep order %v, want the study's", l1s)
	}
	deeper := plan.SweepRuns(plan.Sweep("report", "deeper"))
	if len(deeper) != 5 || deeper[0].Arch.Name != "deeper" || deeper[0].N != 50000 || deeper[0].L1 != 0.0001 || deeper[4].Seed != 5 {
		t.Errorf("deeper = %+v", deeper)
	}
	if s := plan.Sweep("report", "data_amount"); !reflect.DeepEqual(s.Axes, []string{"n", "seed"}) || !reflect.DeepEqual(s.Feeds, []string{"table1", "figure3"}) {
		t.Errorf("data_amount axes %v feeds %v", s.Axes, s.Feeds)
	}
	// Every sweep is compared with the defaults' cell, the baseline's.
	for _, s := range f.Sweeps {
		if s.Reference != base.CellHash() || s.ReferenceNamed {
			t.Errorf("sweep %s: reference %q, want the baseline's cell %s", s.Name, s.Reference, base.CellHash())
		}
	}
}

func TestSubsetYAML(t *testing.T) {
	report := filepath.Join("..", "..", "experiments", "report.yaml")
	subset := filepath.Join("..", "..", "experiments", "subset.yaml")
	plan, err := Load(subset)
	if err != nil {
		t.Fatal(err)
	}
	// As report.yaml: 14 grid points, 2 duplicates of the baseline cell,
	// 5 seeds each.
	if len(plan.Runs) != 60 {
		t.Fatalf("subset.yaml: %d runs, want 60", len(plan.Runs))
	}
	for _, s := range plan.File("subset").Sweeps {
		if s.Reference != plan.Runs[0].CellHash() {
			t.Errorf("sweep %s: reference %q, want the baseline's cell", s.Name, s.Reference)
		}
	}
	for _, r := range plan.Runs {
		if r.N > 5000 {
			t.Errorf("run %s needs %d images; the subset has 5,170", r.ID, r.N)
		}
	}
	var ns []int
	for _, r := range plan.SweepRuns(plan.Sweep("subset", "data_amount")) {
		ns = append(ns, r.N)
	}
	if !reflect.DeepEqual(slices.Compact(ns), []int{1000, 2000, 3000, 5000}) || len(ns) != 20 {
		t.Errorf("data_amount n = %v", ns)
	}
	// Both files together: the subset shares the baseline, the six l1 runs
	// and maxpool with the study (8 runs); it adds n 1000, 2000, 3000 and
	// deeper at n 5000: 12 + 4 = 16 cells of 5 seeds, 80 runs.
	both, err := Load(report, subset)
	if err != nil {
		t.Fatal(err)
	}
	if len(both.Runs) != 80 {
		t.Errorf("report + subset: %d runs, want 80", len(both.Runs))
	}
	if r := both.Runs[0]; r.File != report || len(both.Sweep("subset", "l1").RunIDs) != 30 {
		t.Errorf("shared baseline from %s", r.File)
	}
	each, err := LoadEach(Options{}, report, subset)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(each[1].Runs); n != 60 {
		t.Errorf("LoadEach: subset's plan has %d runs, want its 60, the shared ones included", n)
	}
}

func TestSmokeYAML(t *testing.T) {
	plan, err := Load(filepath.Join("..", "..", "experiments", "smoke.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// l1 2 + figure2 1 (= l1 0.001) + architectures 2 + data_amount 2
	// (n 1000 = architectures' strided) + deeper 1 = 8 - 2 = 6.
	if len(plan.Runs) != 6 {
		t.Fatalf("smoke.yaml: %d runs, want 6", len(plan.Runs))
	}
	images := 0
	for _, r := range plan.Runs {
		if r.Dataset != "cifar10" || r.N > 1000 || r.Epochs > 3 {
			t.Errorf("smoke run %s is not small", r.ID)
		}
		images += r.N * r.Epochs
	}
	if images != 13000 {
		t.Errorf("smoke trains on %d image-epochs, want 13000", images)
	}
}

func TestExampleFilesLoad(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "experiments", "examples", "*.yaml"))
	if err != nil || len(files) < 3 {
		t.Fatalf("examples: %v %v", files, err)
	}
	plan, err := Load(files...)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Files) != len(files) {
		t.Errorf("%d files loaded, want %d", len(plan.Files), len(files))
	}
	user := false
	for _, r := range plan.Runs {
		if r.Arch.Name == "tiny" {
			user = true
		}
	}
	if !user {
		t.Errorf("no run of the custom architecture tiny")
	}
	// seeds.yaml: 9 + 3 + 3 runs; fast_maxpool merges fast and its set.
	each, err := LoadEach(Options{}, files...)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(files, func(f string) bool { return filepath.Base(f) == "seeds.yaml" }); i < 0 {
		t.Errorf("no seeds.yaml among the examples %v", files)
	} else if n := len(each[i].Runs); n != 15 {
		t.Errorf("seeds.yaml: %d runs, want 15", n)
	}
	want := []string{
		"maxpool-n5000-l1_0.0001-e10-b256-lr0.003-s1",
		"maxpool-n5000-l1_0.0001-e10-b256-lr0.003-s2",
		"maxpool-n5000-l1_0.0001-e10-b256-lr0.003-s3",
	}
	if s := plan.Sweep("seeds", "fast_maxpool"); s == nil || !reflect.DeepEqual(s.RunIDs, want) {
		t.Errorf("fast_maxpool = %+v, want runs %v", s, want)
	}
}

// Every key the loader accepts is documented in FormatHelp.
func TestFormatHelpNamesEveryKey(t *testing.T) {
	var keys []string
	keys = append(keys, topKeys...)
	keys = append(keys, runKeys...)
	keys = append(keys, sweepKeys...)
	keys = append(keys, optimizerKeys...)
	keys = append(keys, ReportItems...)
	keys = append(keys, Kinds...)
	for kind, ks := range layerKeys {
		keys = append(keys, kind)
		keys = append(keys, ks...)
	}
	for _, k := range keys {
		if !strings.Contains(FormatHelp, k) {
			t.Errorf("FormatHelp does not mention %q", k)
		}
	}
}

// The Part i file is dispatched by its kind, and Load refuses it.
func TestFigure1YAMLKind(t *testing.T) {
	path := filepath.Join("..", "..", "experiments", "figure1.yaml")
	kind, err := Kind(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("experiments/figure1.yaml is not there yet")
	}
	if err != nil || kind != KindConvolution {
		t.Fatalf("Kind(figure1.yaml) = %q, %v; want %q", kind, err, KindConvolution)
	}
	_, err = Load(path)
	if err == nil || !strings.Contains(err.Error(), "run it with `convlab conv "+path+"`") {
		t.Errorf("Load(figure1.yaml) error = %v, want a pointer to convlab conv", err)
	}
}
