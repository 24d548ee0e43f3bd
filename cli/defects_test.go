package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"convlab/runner/spec"
)

// "help version" and "help help" document those commands rather than
// calling them unknown.
func TestHelpOfHelpAndVersion(t *testing.T) {
	for _, name := range []string{"help", "version"} {
		code, out, errOut := convlab(t, "help", name)
		if code != 0 || !strings.HasPrefix(out, "usage: convlab "+name) || errOut != "" {
			t.Errorf("help %s: status %d, stdout %q, stderr %q", name, code, out, errOut)
		}
	}
}

// evaluate blames the argument that does not exist, not its parent.
func TestEvaluateBlamesTheMissingPath(t *testing.T) {
	dir := t.TempDir()
	runs := filepath.Join(dir, "runs")
	if err := os.MkdirAll(filepath.Join(runs, "strided-n5000-l1_0.0001-e20-s1-b782f902ba"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		arg      string
		want     []string
		notWant  string
		wantCode int
	}{
		{filepath.Join(runs, "strided-typo"), []string{filepath.Join(runs, "strided-typo") + ": no such file or directory"}, runs + " is not", 1},
		{filepath.Join(runs, "strided-n5000-l1_0.0001-e20-s1"), []string{"did you mean " + filepath.Join(runs, "strided-n5000-l1_0.0001-e20-s1-b782f902ba") + "?"}, "", 1},
		{"/nonexistent", []string{"/nonexistent: no such file or directory"}, "/ is not", 1},
		{runs, []string{runs + " is not a run directory (it has no config.yaml)"}, "", 2},
	}
	for _, tc := range tests {
		code, _, errOut := convlab(t, "evaluate", tc.arg)
		if code != tc.wantCode {
			t.Errorf("evaluate %s: status %d, want %d; stderr %s", tc.arg, code, tc.wantCode, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("evaluate %s: stderr lacks %q:\n%s", tc.arg, w, errOut)
			}
		}
		if tc.notWant != "" && strings.Contains(errOut, tc.notWant) {
			t.Errorf("evaluate %s: stderr blames the parent (%q):\n%s", tc.arg, tc.notWant, errOut)
		}
	}
}

// README's "help experiments" block is what the command prints, not Go
// source.
func TestREADMEShowsHelpExperiments(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	marker := "`convlab help experiments` prints this\nreference:\n\n```\n"
	i := strings.Index(readme, marker)
	if i < 0 {
		t.Fatalf("README has no help experiments block (looked for %q)", marker)
	}
	block := readme[i+len(marker):]
	block = block[:strings.Index(block, "```\n")]
	_, out, _ := convlab(t, "help", "experiments")
	if block != out {
		t.Errorf("README's block differs from 'convlab help experiments':\n%s\nwant:\n%s", block, out)
	}
	if out != spec.FormatHelp || strings.Contains(block, "const FormatHelp") {
		t.Errorf("help experiments does not print spec.FormatHelp")
	}
}

// The summary of a layer whose name fills its column keeps the columns
// apart.
func TestSummaryColumnsApart(t *testing.T) {
	_, out, _ := convlab(t, "summary", "maxpool")
	if strings.Contains(out, "MaxPooling2D(None") {
		t.Errorf("columns run together:\n%s", out)
	}
	if !strings.Contains(out, "max_pooling2d_1              (None, 8, 8, 32)          0\n(MaxPooling2D)\n") {
		t.Errorf("second pooling row not wrapped:\n%s", out)
	}
}

// report accepts a results directory and rebuilds it from sweeps.json,
// without the experiment file.
func TestReportOfResultsDirectory(t *testing.T) {
	file, results := setupGrid(t)
	if code, _, errOut := convlab(t, "run", "--results", results, file); code != 0 {
		t.Fatalf("run: status %d: %s", code, errOut)
	}
	root := filepath.Join(results, "tiny")
	before := readTree(t, root)
	if err := os.Remove(filepath.Join(root, "REPORT.md")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := convlab(t, "report", root)
	if code != 0 || !strings.Contains(out, filepath.Join(root, "REPORT.md")) {
		t.Fatalf("report %s: status %d, stdout %q, stderr %s", root, code, out, errOut)
	}
	after := readTree(t, root)
	for name, body := range before {
		if after[name] != body {
			t.Errorf("%s differs after report of the directory", name)
		}
	}
	if code, _, errOut := convlab(t, "report", t.TempDir()); code != 1 || !strings.Contains(errOut, "not a results directory") {
		t.Errorf("report of an empty directory: status %d, stderr %s", code, errOut)
	}
}

// Without the data set (offline, no CIFAR-10), run still writes Figure 1,
// which needs none, then fails naming the data.
func TestRunWithoutDataStillRunsConvolution(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "tiny.yaml")
	if err := os.WriteFile(file, []byte(tinyGrid), 0o644); err != nil {
		t.Fatal(err)
	}
	results := filepath.Join(dir, "results")
	conv := filepath.Join("..", "experiments", "figure1.yaml")
	code, _, errOut := convlab(t, "run", "--results", results, file, conv)
	if code != 1 {
		t.Fatalf("run without data: status %d, stderr:\n%s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(results, "figure1", "figure1.png")); err != nil {
		t.Errorf("figure 1 not written: %v", err)
	}
	for _, want := range []string{file + ": data set cifar10:", "nothing was trained"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(results, "tiny")); !os.IsNotExist(err) {
		t.Errorf("results of the training file written although nothing trained: %v", err)
	}
}
