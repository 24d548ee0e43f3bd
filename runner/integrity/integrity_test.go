package integrity_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"convlab/arch"
	"convlab/runner/integrity"
	"convlab/runner/results"
	"convlab/runner/spec"
)

// record is a finished three-epoch run of the strided preset.
func record(id string, n int, l1 float64) *results.Record {
	a, _ := arch.Preset("strided")
	run := spec.Run{ID: id, File: "experiments/report.yaml", Dataset: "cifar10", Arch: a, N: n, L1: l1, Epochs: 3,
		BatchSize: 128, ValidationSplit: 0.1, Seed: 1, Optimizer: spec.DefaultOptimizer()}
	classes := []string{"airplane", "automobile", "bird"}
	yt, yp := []int{0, 0, 0, 1, 1, 2, 2}, []int{0, 0, 1, 1, 0, 0, 0}
	ev := results.Evaluation{Accuracy: 3.0 / 7, Loss: 1.0 / 3,
		Report: results.ComputeReport(yt, yp, classes), Confusion: results.Confusion(yt, yp, 3)}
	return &results.Record{Run: run, Hash: run.Hash(),
		History: []results.Epoch{
			{Epoch: 1, Loss: 2.1023, Accuracy: 0.2511, ValLoss: 1.9, ValAccuracy: 0.31, Seconds: 12.5},
			{Epoch: 2, Loss: 1.7, Accuracy: 1.0 / 3, ValLoss: 1.65, ValAccuracy: 0.37, Seconds: 11.25},
			{Epoch: 3, Loss: 1.5, Accuracy: 0.45, ValLoss: 1.55, ValAccuracy: 0.4, Seconds: 1e-7},
		},
		Metrics: results.Metrics{Train: ev, Validation: ev, Test: ev, Params: 37146}}
}

func TestParseDone(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	tests := []struct{ in, want string }{
		{`{"key":"a|b|code-1","run_id":"r"}`, ""},
		{`{"key":"k","files":[{"name":"metrics.json","size":3,"sha256":"` + sum + `"}]}`, ""},
		{`{"key":""}`, "DONE: done marker has no key"},
		{`{"key":"k","extra":1}`, `DONE: not a done marker: json: unknown field "extra"`},
		{`not json`, "DONE: not a done marker"},
		{`{"key":"k","files":[{"name":"../x","size":3,"sha256":"` + sum + `"}]}`, "DONE: files[0]"},
		{`{"key":"k","files":[{"name":"a","size":-1,"sha256":"` + sum + `"}]}`, "DONE: files[0]"},
		{`{"key":"k","files":[{"name":"a","size":1,"sha256":"abc"}]}`, "DONE: files[0]"},
		{`{"key":"k","files":[{"name":"DONE","size":1,"sha256":"` + sum + `"}]}`, "DONE: files[0]"},
	}
	for _, tt := range tests {
		_, err := integrity.ParseDone("DONE", []byte(tt.in))
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)) {
			t.Errorf("ParseDone(%q) = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func FuzzParseDone(f *testing.F) {
	f.Add([]byte(`{"key":"a|b|code-1","run_id":"r","hash":"h","code_version":"1","finished":"x"}`))
	f.Add([]byte(`{"key":"k","files":[{"name":"metrics.json","size":3,"sha256":"` + strings.Repeat("0", 64) + `"}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := integrity.ParseDone("DONE", b)
		if err != nil {
			return
		}
		if d.Key == "" {
			t.Error("accepted a marker without a key")
		}
		for _, fs := range d.Files {
			if strings.Contains(fs.Name, "..") || filepath.IsAbs(fs.Name) {
				t.Errorf("accepted a file outside the run: %q", fs.Name)
			}
		}
	})
}

// sealedRun writes a run directory with two files and a DONE recording
// them, and returns it.
func sealedRun(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "runs", "r-abc")
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "metrics.json"), "{\"a\": 1}\n")
	write(t, filepath.Join(dir, "sub", "w.bin"), "weights")
	files, err := integrity.SumFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(integrity.Done{Key: "k", Files: files})
	write(t, filepath.Join(dir, results.DoneFile), string(b))
	return dir
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSumFilesRecordsSizesAndHashes(t *testing.T) {
	dir := sealedRun(t)
	d, err := integrity.ReadDone(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Hand-computed: sha256 of the exact bytes written, DONE left out.
	want := map[string]string{"metrics.json": "{\"a\": 1}\n", "sub/w.bin": "weights"}
	if len(d.Files) != len(want) {
		t.Fatalf("DONE records %+v, want %d files", d.Files, len(want))
	}
	for _, f := range d.Files {
		content, ok := want[f.Name]
		sum := sha256.Sum256([]byte(content))
		if !ok || f.Size != int64(len(content)) || f.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("DONE records %+v; want size %d, sha256 %x", f, len(content), sum)
		}
	}
}

func TestCheckRunDir(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(dir string)
		cheap   string // the damage without hashes, "" for none
		deep    string // with hashes
		nilDone bool
	}{
		{"intact", func(string) {}, "", "", false},
		{"truncated", func(d string) { os.Truncate(filepath.Join(d, "metrics.json"), 3) }, "metrics.json: 3 bytes, DONE records 9", "metrics.json: 3 bytes", false},
		{"same size, other bytes", func(d string) { write(t, filepath.Join(d, "sub", "w.bin"), "WEIGHTS") }, "", "sub/w.bin: SHA-256", false},
		{"missing", func(d string) { os.Remove(filepath.Join(d, "sub", "w.bin")) }, "sub/w.bin: missing", "sub/w.bin: missing", false},
		{"no DONE", func(d string) { os.Remove(filepath.Join(d, results.DoneFile)) }, "DONE: missing", "DONE: missing", true},
		{"bad DONE", func(d string) { os.Truncate(filepath.Join(d, results.DoneFile), 10) }, "DONE: ", "DONE: ", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := sealedRun(t)
			tt.damage(dir)
			for _, deep := range []bool{false, true} {
				want := tt.cheap
				if deep {
					want = tt.deep
				}
				d, damage := integrity.CheckRunDir(dir, deep)
				if (d == nil) != tt.nilDone {
					t.Errorf("deep %v: DONE %v, want nil %v", deep, d, tt.nilDone)
				}
				switch {
				case want == "" && len(damage) > 0:
					t.Errorf("deep %v: damage %v, want none", deep, damage)
				case want != "" && (len(damage) != 1 || !strings.HasPrefix(damage[0].File+": "+damage[0].Problem, want)):
					t.Errorf("deep %v: damage %v, want one starting %q", deep, damage, want)
				}
			}
		})
	}
}

func TestUnverifiedDoneHasNoDamage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "old-run")
	os.MkdirAll(dir, 0o755)
	write(t, filepath.Join(dir, results.DoneFile), `{"key":"a|b|code-1","run_id":"r","hash":"h","code_version":"1","finished":"2026-11-25T10:42:08Z"}`)
	write(t, filepath.Join(dir, "metrics.json"), "truncated")
	d, damage := integrity.CheckRunDir(dir, true)
	if d == nil || d.Verified() || len(damage) != 1 || damage[0].File != results.ConfigFile {
		t.Errorf("an older DONE without files, no config.yaml: %+v, %v; want it read, unverified, config.yaml damaged", d, damage)
	}
	// A whole record with an older DONE: no damage.
	rec := record("old-run", 5000, 0)
	if err := results.WriteRunFiles(dir, rec); err != nil {
		t.Fatal(err)
	}
	if d, damage := integrity.CheckRunDir(dir, false); d == nil || d.Verified() || len(damage) != 0 {
		t.Errorf("an older DONE with its record: %+v, %v; want unverified, no damage", d, damage)
	}
	// The case: metrics.json truncated under an older DONE.
	os.Truncate(filepath.Join(dir, results.MetricsFile), 100)
	if _, damage := integrity.CheckRunDir(dir, false); len(damage) != 1 || damage[0].File != results.MetricsFile {
		t.Errorf("truncated metrics.json under an older DONE: %v; want it damaged", damage)
	}
}

// A truncated metrics.json or history.csv, or a broken config.yaml, takes
// only that run out of the tree; the others are read.
func TestReadIntactLeavesOutDamagedRuns(t *testing.T) {
	root := t.TempDir()
	recs := []*results.Record{record("a-run", 5000, 0), record("b-run", 10000, 0), record("c-run", 20000, 0), record("d-run", 30000, 0)}
	for _, rec := range recs {
		dir := results.RunDir(root, rec.Run)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := results.WriteRunFiles(dir, rec); err != nil {
			t.Fatal(err)
		}
		files, err := integrity.SumFiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(integrity.Done{Key: "k", Files: files})
		write(t, filepath.Join(dir, results.DoneFile), string(b))
	}
	dirOf := func(i int) string { return results.RunDir(root, recs[i].Run) }
	os.Truncate(filepath.Join(dirOf(1), results.MetricsFile), 100)
	hist := filepath.Join(dirOf(2), results.HistoryFile)
	b, _ := os.ReadFile(hist)
	os.WriteFile(hist, b[:len(b)/2], 0o644)

	got, damage, err := integrity.ReadIntact(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Run.ID != "a-run" || got[1].Run.ID != "d-run" {
		t.Errorf("intact runs %v, want a-run and d-run", got)
	}
	if len(damage) != 2 || damage[0].File != results.MetricsFile || damage[1].File != results.HistoryFile ||
		damage[0].Dir != dirOf(1) || damage[1].Dir != dirOf(2) {
		t.Errorf("damage %v, want b-run's metrics.json and c-run's history.csv", damage)
	}
	if !strings.Contains(damage[0].Error(), filepath.Base(dirOf(1))+": metrics.json: ") {
		t.Errorf("damage message %q names neither run nor file", damage[0].Error())
	}

	// A record that does not parse although its sizes match (an unverified
	// run of an older convlab) is damage too, naming the file.
	os.WriteFile(filepath.Join(dirOf(3), results.DoneFile), []byte(`{"key":"k"}`), 0o644)
	os.WriteFile(filepath.Join(dirOf(3), results.ConfigFile), []byte("id: [\n"), 0o644)
	_, damage, _ = integrity.ReadIntact(root)
	if len(damage) != 3 || damage[2].File != results.ConfigFile {
		t.Errorf("damage %v, want d-run's config.yaml third", damage)
	}
}
