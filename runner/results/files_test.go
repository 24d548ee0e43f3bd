package results_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"convlab/arch"
	"convlab/runner/grid"
	"convlab/runner/progress"
	"convlab/runner/results"
	"convlab/runner/spec"
)

func sampleRun(id string, n int, l1 float64) spec.Run {
	a, _ := arch.Preset("strided")
	return spec.Run{
		ID: id, Sweeps: []string{"data_amount", "figure2"}, Feeds: []string{"table1", "figure3", "figure2"},
		File: "experiments/report.yaml", Dataset: "cifar10", Arch: a, N: n, L1: l1, Epochs: 3,
		BatchSize: 128, ValidationSplit: 0.1, Seed: 1, Optimizer: spec.DefaultOptimizer(),
	}
}

func sampleRecord(id string, n int, l1 float64) *results.Record {
	classes := []string{"airplane", "automobile", "bird"}
	yt := []int{0, 0, 0, 1, 1, 2, 2}
	yp := []int{0, 0, 1, 1, 0, 0, 0}
	ev := func() results.Evaluation {
		return results.Evaluation{Accuracy: 3.0 / 7, Loss: 1.0 / 3,
			Report: results.ComputeReport(yt, yp, classes), Confusion: results.Confusion(yt, yp, 3)}
	}
	run := sampleRun(id, n, l1)
	return &results.Record{
		Run:  run,
		Hash: run.Hash(),
		History: []results.Epoch{
			{1, 2.1023, 0.2511, 1.9, 0.31, 12.5},
			{2, 1.7, 1.0 / 3, 1.6500000000000001, 0.37, 11.25},
			{3, 1.5, 0.45, 1.55, 0.4, 1e-7},
		},
		Metrics: results.Metrics{Train: ev(), Validation: ev(), Test: ev(), BaselineLabel: 2,
			BaselineTrain: 0.1052, BaselineTest: 0.1, TrainSeconds: 35.75, Params: 37146},
		Provenance: results.Provenance{ToolVersion: "v0.1.0", GitCommit: "5717eea", GitDirty: true,
			Host: "node1", Cores: 2, Finished: "2026-11-25T09:00:00Z"},
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	rec := sampleRecord("strided-n5000-l1_0.0001-s1", 5000, 1e-4)
	if err := results.WriteRunFiles(dir, rec); err != nil {
		t.Fatal(err)
	}
	got, err := results.ReadRunDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rec) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, rec)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"classification_test.csv", "classification_train.csv", "config.yaml",
		"confusion_test.csv", "confusion_train.csv", "history.csv", "metrics.json"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("files %v, want %v (no temporary files left)", names, want)
	}
}

func TestRunFilesContent(t *testing.T) {
	dir := t.TempDir()
	rec := sampleRecord("r1", 5000, 0)
	if err := results.WriteRunFiles(dir, rec); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// Hand-worked in classify_test.go.
	wantCls := "label,precision,recall,f1,support\n" +
		"airplane,0.4,0.6666666666666666,0.5,3\n" +
		"automobile,0.5,0.5,0.5,2\n" +
		"bird,0,0,0,2\n" +
		"accuracy,,,0.42857142857142855,7\n" +
		"macro avg,0.3,0.38888888888888884,0.3333333333333333,7\n" +
		"weighted avg,0.31428571428571433,0.42857142857142855,0.35714285714285715,7\n"
	if got := read("classification_test.csv"); got != wantCls {
		t.Errorf("classification_test.csv:\n%s\nwant\n%s", got, wantCls)
	}
	wantConf := "true\\predicted,airplane,automobile,bird\nairplane,2,1,0\nautomobile,1,1,0\nbird,2,0,0\n"
	if got := read("confusion_train.csv"); got != wantConf {
		t.Errorf("confusion_train.csv:\n%s\nwant\n%s", got, wantConf)
	}
	wantHist := "epoch,loss,accuracy,val_loss,val_accuracy,seconds\n" +
		"1,2.1023,0.2511,1.9,0.31,12.5\n" +
		"2,1.7,0.3333333333333333,1.6500000000000001,0.37,11.25\n" +
		"3,1.5,0.45,1.55,0.4,1e-07\n"
	if got := read("history.csv"); got != wantHist {
		t.Errorf("history.csv:\n%s\nwant\n%s", got, wantHist)
	}
	cfg := read("config.yaml")
	for _, want := range []string{"id: r1\n", "hash: " + rec.Run.Hash() + "\n", "sweeps:\n  - data_amount\n", "l1: 0\n", "\"n\": 5000\n"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config.yaml lacks %q:\n%s", want, cfg)
		}
	}
	if met := read("metrics.json"); strings.Contains(met, "history") || !strings.Contains(met, `"run_id": "r1"`) {
		t.Errorf("metrics.json should hold the run id and no history:\n%s", met)
	}
}

// The runner commits a run where the results package looks for it, and
// writes the files ReadTree reads back.
func TestLayoutMatchesRunner(t *testing.T) {
	run := sampleRun("strided-n5000", 5000, 1e-4)
	if got, want := results.RunDir("res/x", run), filepath.Join("res/x", "runs", "strided-n5000-"+run.Hash()); got != want {
		t.Errorf("RunDir = %q, want %q", got, want)
	}
	rec := sampleRecord("strided-n5000", 5000, 1e-4)
	if got, want := rec.DirName(), results.RunDirName(run); got != want {
		t.Errorf("Record.DirName = %q, want %q", got, want)
	}
	noHash := *rec
	noHash.Hash = ""
	if got, want := noHash.DirName(), results.RunDirName(run); got != want {
		t.Errorf("Record.DirName without a hash = %q, want the run's %q", got, want)
	}
	old := *rec
	old.Hash = "0123abcd"
	if got, want := old.DirName(), "strided-n5000-0123abcd"; got != want {
		t.Errorf("Record.DirName of an older run = %q, want %q", got, want)
	}

	root := t.TempDir()
	train := func(_ context.Context, r spec.Run, _ string, _ progress.Reporter) (*results.Record, error) {
		out := sampleRecord(r.ID, r.N, r.L1)
		out.Run = r
		return out, nil
	}
	sum, err := grid.Execute(context.Background(), []spec.Run{run}, grid.Options{Root: root, Train: train,
		DataIdentity: func(spec.Run) (string, error) { return "cifar10:test", nil }})
	if err != nil || len(sum.Done) != 1 {
		t.Fatalf("Execute: %s, %v", sum, err)
	}
	if sum.Done[0].Dir != results.RunDir(root, run) {
		t.Errorf("runner committed into %s, want %s", sum.Done[0].Dir, results.RunDir(root, run))
	}
	if _, err := os.Stat(filepath.Join(results.RunDir(root, run), results.DoneFile)); err != nil {
		t.Errorf("runner wrote no %s: %v", results.DoneFile, err)
	}
	recs, err := results.ReadTree(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || !reflect.DeepEqual(recs[0], rec) {
		t.Errorf("ReadTree after the runner: %d records, want the trained one", len(recs))
	}
}

func TestReadTree(t *testing.T) {
	root := t.TempDir()
	write := func(rec *results.Record, done bool) {
		dir := results.RunDir(root, rec.Run)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := results.WriteRunFiles(dir, rec); err != nil {
			t.Fatal(err)
		}
		if done {
			if err := os.WriteFile(filepath.Join(dir, results.DoneFile), []byte("{}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(sampleRecord("b-run", 10000, 0), true)
	write(sampleRecord("a-run", 5000, 0), true)
	write(sampleRecord("c-unfinished", 20000, 0), false)
	// A stray file and an empty directory are not runs.
	os.WriteFile(filepath.Join(root, "runs", "notes.txt"), []byte("x"), 0o644)
	os.MkdirAll(filepath.Join(root, "runs", "empty"), 0o755)

	recs, err := results.ReadTree(root)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.Run.ID)
	}
	if want := []string{"a-run", "b-run"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("ReadTree ids %v, want %v", ids, want)
	}

	// A complete run with a broken file is an error naming the file.
	dir := results.RunDir(root, recs[0].Run)
	os.WriteFile(filepath.Join(dir, results.ConfigFile), []byte("id: [\n"), 0o644)
	if _, err := results.ReadTree(root); err == nil || !strings.Contains(err.Error(), "config.yaml") {
		t.Errorf("broken config.yaml: err = %v, want one naming config.yaml", err)
	}

	if recs, err := results.ReadTree(filepath.Join(root, "nothing")); err != nil || recs != nil {
		t.Errorf("missing tree: %v, %v; want nothing and no error", recs, err)
	}
}

func TestReadRunDirErrors(t *testing.T) {
	tests := []struct {
		name, file, content, want string
	}{
		{"unknown config key", results.ConfigFile, "id: x\nbogus: 1\n", "config.yaml: not a run's config"},
		{"bad metrics", results.MetricsFile, "{", "metrics.json: not a run's metrics"},
		{"bad history number", results.HistoryFile, "epoch,loss,accuracy,val_loss,val_accuracy,seconds\n1,x,0,0,0,0\n", `history.csv:2:3: loss "x" is not a number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := results.WriteRunFiles(dir, sampleRecord("r", 5000, 0)); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, tt.file), []byte(tt.content), 0o644)
			_, err := results.ReadRunDir(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	if _, err := results.ReadRunDir(t.TempDir()); err == nil || !strings.Contains(err.Error(), "config.yaml") {
		t.Errorf("empty dir: err = %v, want one naming config.yaml", err)
	}
}

// A diverged run's NaN and infinite numbers survive metrics.json, and
// writing leaves the record alone.
func TestNonFiniteRoundTrip(t *testing.T) {
	dir := t.TempDir()
	rec := sampleRecord("diverged", 5000, 10)
	nan := math.NaN()
	rec.Metrics.Test.Loss = nan
	rec.Metrics.Validation.Loss = math.Inf(1)
	rec.Metrics.Train.Report.Classes[1].F1 = math.Inf(-1)
	rec.History[2].Loss = nan
	if err := results.WriteRunFiles(dir, rec); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(rec.Metrics.Test.Loss) || !math.IsInf(rec.Metrics.Train.Report.Classes[1].F1, -1) {
		t.Fatalf("WriteRunFiles changed the record: %+v", rec.Metrics)
	}
	met, _ := os.ReadFile(filepath.Join(dir, results.MetricsFile))
	for _, want := range []string{`"metrics.test.loss": "NaN"`, `"metrics.validation.loss": "+Inf"`, `"metrics.train.report.classes.1.f1": "-Inf"`} {
		if !strings.Contains(string(met), want) {
			t.Errorf("metrics.json lacks %s:\n%s", want, met)
		}
	}
	got, err := results.ReadRunDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(got.Metrics.Test.Loss) || !math.IsInf(got.Metrics.Validation.Loss, 1) ||
		!math.IsInf(got.Metrics.Train.Report.Classes[1].F1, -1) || !math.IsNaN(got.History[2].Loss) {
		t.Errorf("non-finite numbers not read back: %+v, history %+v", got.Metrics, got.History[2])
	}
	// Everything else is equal: compare with the NaNs replaced on both sides.
	for _, r := range []*results.Record{rec, got} {
		r.Metrics.Test.Loss, r.Metrics.Validation.Loss, r.Metrics.Train.Report.Classes[1].F1, r.History[2].Loss = 1, 2, 3, 4
	}
	if !reflect.DeepEqual(got, rec) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, rec)
	}

	for _, tt := range []struct{ nonfinite, want string }{
		{`{"metrics.test.lost": "NaN"}`, "metrics.test.lost: no such number in the metrics"},
		{`{"metrics.test.loss": "1.5"}`, `metrics.test.loss: "1.5" is not NaN, +Inf or -Inf`},
	} {
		var doc map[string]any
		if err := json.Unmarshal(met, &doc); err != nil {
			t.Fatal(err)
		}
		var nf any
		json.Unmarshal([]byte(tt.nonfinite), &nf)
		doc["nonfinite"] = nf
		b, _ := json.Marshal(doc)
		os.WriteFile(filepath.Join(dir, results.MetricsFile), b, 0o644)
		if _, err := results.ReadRunDir(dir); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("nonfinite %s: err = %v, want %q", tt.nonfinite, err, tt.want)
		}
	}
}
