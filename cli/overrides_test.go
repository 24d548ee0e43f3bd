package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A run trained with -S is the run of the file edited by hand: the same
// directory (id and hash), so the edited file finds it done. sweeps.json
// and REPORT.md record the overrides, and report of the results
// directory rebuilds the overridden report.
func TestOverriddenRunIsTheDeclaredRun(t *testing.T) {
	file, results := setupGrid(t)
	code, _, errOut := convlab(t, "run", "--results", results, file, "-S", "epochs=1", "-S", "sweeps.l1.set.seed=2")
	if code != 0 {
		t.Fatalf("run -S: status %d: %s", code, errOut)
	}
	root := filepath.Join(results, "tiny")
	for _, id := range []string{"tiny-n100-l1_0-e1-b32-s2", "tiny-n100-l1_0.001-e1-b32-s2"} {
		if m, _ := filepath.Glob(filepath.Join(root, "runs", id+"-*", "DONE")); len(m) != 1 {
			t.Errorf("no finished run %s under %s", id, root)
		}
	}
	edited := strings.Replace(strings.Replace(tinyGrid, "epochs: 2", "epochs: 1", 1), "feeds: [table2, figure4]", "feeds: [table2, figure4]\n    set: {seed: 2}", 1)
	other := filepath.Join(filepath.Dir(file), "edited.yaml")
	if err := os.WriteFile(other, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := convlab(t, "plan", "--results", results, other)
	if code != 0 || !strings.Contains(out, "2 runs, 0 to do") {
		t.Errorf("plan of the edited file: status %d, stdout:\n%s\nstderr: %s", code, out, errOut)
	}

	b, err := os.ReadFile(filepath.Join(root, "sweeps.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx struct{ Overrides []string }
	if err := json.Unmarshal(b, &idx); err != nil {
		t.Fatal(err)
	}
	if want := []string{"-S epochs=1", "-S sweeps.l1.set.seed=2"}; strings.Join(idx.Overrides, "|") != strings.Join(want, "|") {
		t.Errorf("sweeps.json overrides %q; want %q", idx.Overrides, want)
	}
	if code, _, errOut := convlab(t, "report", root); code != 0 {
		t.Fatalf("report %s: status %d: %s", root, code, errOut)
	}
	rep, err := os.ReadFile(filepath.Join(root, "REPORT.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"with `-S epochs=1 -S sweeps.l1.set.seed=2`", "tiny-n100-l1_0.001-e1-b32-s2"} {
		if !strings.Contains(string(rep), want) {
			t.Errorf("REPORT.md lacks %q", want)
		}
	}
}

// Overrides on plan: each form, and errors naming the argument.
func TestPlanOverrides(t *testing.T) {
	file, results := setupGrid(t)
	tests := []struct {
		args     []string
		code     int
		want     string
		wantRuns string
	}{
		{[]string{"-m", "seed=1,2"}, 0, "tiny-n100-l1_0.001-e2-b32-s2", "4 runs"},
		{[]string{"-S", "seed=[1,2,3]"}, 0, "tiny-n100-l1_0-e2-b32-s3", "6 runs"},
		{[]string{"-S", "n=50"}, 0, "tiny-n50-l1_0-e2-b32-s1", "2 runs"},
		{[]string{"-S", "epochs=0"}, 1, "convlab plan: -S epochs=0: defaults.epochs: must be at least 1, got 0", ""},
		{[]string{"-S", "l1=0.5"}, 1, "-S l1=0.5: defaults.l1: no run gets this default: every sweep gives l1 itself (sweeps.l1.grid.l1)", ""},
		{[]string{"-S", "epochs"}, 2, "invalid value \"epochs\" for flag -S: -S epochs: want KEY=VALUE", ""},
	}
	for _, tc := range tests {
		args := append([]string{"plan", "--results", results, file}, tc.args...)
		code, out, errOut := convlab(t, args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.want) || !strings.Contains(out, tc.wantRuns) {
			t.Errorf("plan %q: status %d (want %d), want %q and %q in\nstdout:\n%s\nstderr:\n%s", tc.args, code, tc.code, tc.want, tc.wantRuns, out, errOut)
		}
	}
}

// Slurm scripts carry the overrides to both the runs and the report.
func TestSlurmPassesOverrides(t *testing.T) {
	file, _ := setupGrid(t)
	code, out, errOut := convlab(t, "slurm", "--dry-run", "--shards", "2", file, "-S", "epochs=1")
	if code != 0 {
		t.Fatalf("slurm: status %d: %s", code, errOut)
	}
	if n := strings.Count(out, " -S epochs=1 "); n != 2 {
		t.Errorf("scripts hold the override %d times, want 2 (run and report):\n%s", n, out)
	}
}

// Flags go before or after the files; "--" ends them.
func TestFlagsAfterFiles(t *testing.T) {
	file, results := setupGrid(t)
	for _, args := range [][]string{
		{"plan", "--results", results, "--only", "*l1_0-*", file},
		{"plan", file, "--results", results, "--only", "*l1_0-*"},
		{"plan", "--results", results, file, "--only", "*l1_0-*"},
	} {
		code, out, errOut := convlab(t, args...)
		if code != 0 || !strings.Contains(out, "1 run, 1 to do") {
			t.Errorf("%q: status %d, stdout:\n%s\nstderr: %s", args, code, out, errOut)
		}
	}
	// After --, "-S" is a file name.
	code, _, errOut := convlab(t, "plan", "--results", results, file, "--", "-S")
	if code != 1 || !strings.Contains(errOut, "-S: cannot read the experiment file") {
		t.Errorf("plan FILE -- -S: status %d, stderr %s", code, errOut)
	}
}
