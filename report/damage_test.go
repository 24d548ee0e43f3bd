package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"convlab/runner/integrity"
	"convlab/runner/results"
)

// A truncated history.csv (seen from the sizes DONE records) and a
// truncated metrics.json (which no longer parses) take only their runs out
// of the report; REPORT.md names each run and file.
func TestBuildLeavesOutDamagedRuns(t *testing.T) {
	root, recs := smallTree(t)
	sealed := results.RunDir(root, recs[0].Run)
	files, err := integrity.SumFiles(sealed)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(integrity.Done{Key: "k", Files: files})
	os.WriteFile(filepath.Join(sealed, results.DoneFile), b, 0o644)
	os.Truncate(filepath.Join(sealed, results.HistoryFile), 50)
	broken := results.RunDir(root, recs[1].Run)
	os.Truncate(filepath.Join(broken, results.MetricsFile), 100)

	damage, err := BuildWith(root, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(damage) != 2 {
		t.Fatalf("damage %v, want two runs", damage)
	}
	rep := readFile(t, filepath.Join(root, ReportFile))
	for _, want := range []string{
		"Damaged runs left out",
		"| `" + filepath.Base(sealed) + "` | `history.csv` | 50 bytes, DONE records",
		"| `" + filepath.Base(broken) + "` | `metrics.json` | ",
	} {
		if !strings.Contains(rep, want) {
			t.Errorf("REPORT.md lacks %q", want)
		}
	}
	runs := readFile(t, filepath.Join(root, TablesDir, RunsTable))
	if strings.Contains(runs, recs[0].Run.ID) || strings.Contains(runs, recs[1].Run.ID) {
		t.Errorf("runs.csv holds a damaged run:\n%s", runs)
	}
	if !strings.Contains(rep, "- `runs/"+filepath.Base(results.RunDir(root, recs[2].Run))) {
		t.Errorf("REPORT.md does not list the intact run outside the sweeps")
	}
	// Build, as other callers use it, succeeds too.
	if err := Build(root, nil); err != nil {
		t.Errorf("Build: %v", err)
	}
}
