package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run --json prints only the convlab.run/1 summary on stdout: what was
// trained, where, and then that a second run skips it all.
func TestRunJSONSummary(t *testing.T) {
	file, results := setupGrid(t)
	var sum struct {
		Schema string `json:"schema"`
		OK     bool   `json:"ok"`
		Files  []struct {
			Path, Results, Report           string
			Done, Skipped, Failed, Canceled []struct {
				ID, Dir string
				Seconds float64
			}
		} `json:"files"`
		Convolutions []struct{ Path, Dir, Error string } `json:"convolutions"`
		Errors       []string                            `json:"errors"`
	}
	for round, want := range []struct{ done, skipped int }{{2, 0}, {0, 2}} {
		code, out, errOut := convlab(t, "run", file, "--json", "--results", results)
		if code != 0 {
			t.Fatalf("run --json: status %d: %s", code, errOut)
		}
		dec := json.NewDecoder(strings.NewReader(out))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&sum); err != nil || dec.More() {
			t.Fatalf("stdout is not one summary document (%v):\n%s", err, out)
		}
		if sum.Schema != runSchema || !sum.OK || len(sum.Files) != 1 || len(sum.Errors) != 0 {
			t.Fatalf("round %d: summary %+v", round, sum)
		}
		f := sum.Files[0]
		if len(f.Done) != want.done || len(f.Skipped) != want.skipped || len(f.Failed) != 0 || f.Report != filepath.Join(results, "tiny", "REPORT.md") {
			t.Errorf("round %d: file %+v; want %d done, %d skipped and the report", round, f, want.done, want.skipped)
		}
		for _, o := range append(f.Done, f.Skipped...) {
			if _, err := os.Stat(filepath.Join(o.Dir, "DONE")); err != nil || !strings.HasPrefix(filepath.Base(o.Dir), o.ID+"-") {
				t.Errorf("round %d: run %s at %s: %v", round, o.ID, o.Dir, err)
			}
		}
		if strings.Contains(errOut, "{") {
			t.Errorf("JSON on stderr:\n%s", errOut)
		}
	}
}
