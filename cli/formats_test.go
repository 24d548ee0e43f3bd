package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFormatsFlag: run --formats svg writes an SVG beside each figure's
// PNG; report without the flag (the file has no figures: key) takes them
// away; an unknown format is a usage error naming the valid ones.
func TestFormatsFlag(t *testing.T) {
	file, results := setupGrid(t)
	if code, _, errOut := convlab(t, "run", "--formats", "svg", "--results", results, file); code != 0 {
		t.Fatalf("run --formats svg: status %d:\n%s", code, errOut)
	}
	svg := filepath.Join(results, "tiny", "figures", "l1_curves.svg")
	b, err := os.ReadFile(svg)
	if err != nil || !strings.Contains(string(b), "<svg") {
		t.Fatalf("run --formats svg: %v", err)
	}
	if code, _, errOut := convlab(t, "report", "--results", results, file); code != 0 {
		t.Fatalf("report: status %d:\n%s", code, errOut)
	}
	if _, err := os.Stat(svg); err == nil {
		t.Errorf("report without --formats left %s", svg)
	}
	code, _, errOut := convlab(t, "report", "--formats", "svg,gif", "--results", results, file)
	if code != 2 || !strings.Contains(errOut, `unknown figure format "gif"; valid: png, svg, pdf`) {
		t.Errorf("--formats svg,gif: status %d:\n%s", code, errOut)
	}
}
