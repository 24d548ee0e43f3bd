package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// fixtureRoot is the committed results tree of testdata/fixture.yaml: four
// runs it declares, and one (epochs 1, trained with -S) it no longer does.
var fixtureRoot = filepath.Join("testdata", "results", "fixture")

// TestWriteFixture regenerates fixtureRoot; it runs only when asked to,
// since the golden outputs depend on the tree's exact numbers.
func TestWriteFixture(t *testing.T) {
	if os.Getenv("CONVLAB_WRITE_FIXTURE") == "" {
		t.Skip("set CONVLAB_WRITE_FIXTURE=1 to regenerate testdata/results/fixture")
	}
	// The data set goes where fixture.yaml's data_dir says, for the time
	// of training only.
	data := filepath.Join("testdata", "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(data)
	writeCIFAR(t, data, 30)
	if err := os.RemoveAll(fixtureRoot); err != nil {
		t.Fatal(err)
	}
	results := filepath.Dir(fixtureRoot)
	file := filepath.Join("testdata", "fixture.yaml")
	for _, args := range [][]string{
		{"run", file, "--results", results, "-S", "epochs=1", "--only", "small-n100-l1_0.001-*"},
		{"run", file, "--results", results, "--cores", "1"},
	} {
		if code, _, errOut := convlab(t, args...); code != 0 {
			t.Fatalf("%q: status %d: %s", args, code, errOut)
		}
	}
	// What the tests do not read: the figures, the report and the runner's
	// own directories. The runs stay whole, so that verify finds them intact.
	for _, pattern := range []string{"figures", "REPORT.md", "tmp", "checkpoints", "locks", ".lock"} {
		matches, _ := filepath.Glob(filepath.Join(fixtureRoot, pattern))
		for _, m := range matches {
			if err := os.RemoveAll(m); err != nil {
				t.Fatal(err)
			}
		}
	}
}
