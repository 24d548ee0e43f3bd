package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A file whose report cannot be written does not stop the others: report
// rebuilds every tree it can, then fails naming each file that failed.
func TestReportCollectsEveryFailure(t *testing.T) {
	dir := t.TempDir()
	results := filepath.Join(dir, "results")
	copyTree(t, fixtureRoot, filepath.Join(results, "fixture"))
	fixture, err := os.ReadFile(filepath.Join("testdata", "fixture.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Two copies of the fixture under other names, whose results trees
	// are regular files, so that their reports cannot be written.
	var broken []string
	for _, name := range []string{"first", "last"} {
		file := filepath.Join(dir, name+".yaml")
		body := strings.Replace(string(fixture), "\nname: fixture\n", "\nname: "+name+"\n", 1)
		if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(results, name), []byte("not a directory\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		broken = append(broken, file)
	}
	good := filepath.Join("testdata", "fixture.yaml")
	code, out, errOut := convlab(t, "report", "--results", results, broken[0], good, broken[1])
	if code != 1 {
		t.Fatalf("status %d, want 1; stdout %q, stderr %s", code, out, errOut)
	}
	report := filepath.Join(results, "fixture", "REPORT.md")
	if out != good+": "+report+"\n" {
		t.Errorf("stdout %q, want only the good file's report", out)
	}
	if _, err := os.Stat(report); err != nil {
		t.Errorf("the good file's report after a failing one: %v", err)
	}
	// Main prints a list of errors one a line under "convlab report:".
	lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
	if len(lines) != 3 || lines[0] != "convlab report:" {
		t.Fatalf("stderr is not a list of two errors:\n%s", errOut)
	}
	for i, file := range broken {
		if !strings.HasPrefix(lines[i+1], file+": ") {
			t.Errorf("error %d %q does not name %s", i+1, lines[i+1], file)
		}
	}
}

// plan, run, report and slurm sort and validate experiment files in one
// place (loadFiles): a convolution file whose photo is missing is the same
// error, naming file, line and column, for each of them, before anything
// is written or submitted. slurm used to skip convolution files and fail
// with "no experiment files given".
func TestEveryCommandValidatesConvolutionFilesAlike(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "nophoto.yaml")
	body := "kind: convolution\nname: nophoto\nimage: missing.png\nchannel: blue\nkernels:\n  k1: [[0, 0, 0], [0, 1, 0], [0, 0, 0]]\n"
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	results := filepath.Join(dir, "results")
	want := file + ":3:8: image: open " + filepath.Join(dir, "missing.png") + ": no such file or directory"
	for _, args := range [][]string{
		{"plan", "--results", results, file},
		{"run", "--results", results, file},
		{"report", "--results", results, file},
		{"slurm", "--dry-run", "--convlab", "/opt/convlab", "--scripts", filepath.Join(dir, "slurm"), file},
	} {
		code, out, errOut := convlab(t, args...)
		if prefix := "convlab " + args[0] + ": " + want; code != 1 || !strings.HasPrefix(errOut, prefix) {
			t.Errorf("%s: status %d, stderr %q; want 1 and %q", args[0], code, errOut, prefix)
		}
		if out != "" {
			t.Errorf("%s: stdout %q, want nothing", args[0], out)
		}
	}
	if _, err := os.Stat(results); !os.IsNotExist(err) {
		t.Errorf("results written for an invalid file: %v", err)
	}
}
