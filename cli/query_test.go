package cli

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/golden")

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cli -run %s -update to write it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n%s\nwant:\n%s", path, got, want)
	}
}

// The query commands against the committed fixture tree: each output is
// compared with its golden file.
func TestQueryGoldens(t *testing.T) {
	results := filepath.Dir(fixtureRoot)
	fixture := filepath.Join("testdata", "fixture.yaml")
	tests := []struct {
		golden string
		args   []string
	}{
		{"runs_dir.txt", []string{"runs", fixtureRoot}},
		{"runs_all.txt", []string{"runs", "--results", results}},
		{"runs_file.txt", []string{"runs", fixture, "--results", results}},
		{"runs_where_sort.txt", []string{"runs", fixtureRoot, "--where", "arch=small,l1<0.01", "--sort", "-val_accuracy", "--columns", "run_id,arch,l1,epochs,val_accuracy,test_accuracy"}},
		{"runs_where_glob.txt", []string{"runs", fixtureRoot, "--where", "arch=po*", "--columns", "run_id,params"}},
		{"runs_csv.txt", []string{"runs", fixtureRoot, "--csv", "--sort", "l1,run_id", "--columns", "run_id,l1,val_accuracy,dir"}},
		{"runs_json.txt", []string{"runs", fixtureRoot, "--json", "--where", "epochs=1", "--columns", "run_id,arch,n,l1,val_accuracy,git_dirty"}},
		{"diff.txt", []string{"diff", "--results", results, "small-n100-l1_0-e2-b32-s1", "pooled-n100-l1_0.0001-e2-b32-s1"}},
		{"diff_json.txt", []string{"diff", "--json", filepath.Join(fixtureRoot, "runs", "small-n100-l1_0.001-e1-b32-s1-37adbaade9"), "small-n100-l1_0.001-e2-b32-s1", "--results", results}},
		{"gc.txt", []string{"gc", "--results", results, fixture}},
		{"plan_json.txt", []string{"plan", "--json", "--results", results, fixture}},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			code, out, errOut := convlab(t, tc.args...)
			if code != 0 {
				t.Fatalf("%q: status %d: %s", tc.args, code, errOut)
			}
			golden(t, tc.golden, out)
		})
	}
}

// Mistakes in queries are usage errors that say what is valid.
func TestQueryErrors(t *testing.T) {
	results := filepath.Dir(fixtureRoot)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"runs", fixtureRoot, "--columns", "run_id,val_accurcy"}, 2, `--columns: unknown column "val_accurcy" (did you mean val_accuracy?)`},
		{[]string{"runs", fixtureRoot, "--where", "arch<3"}, 2, `--where "arch<3": arch is text; compare it with = or !=`},
		{[]string{"runs", fixtureRoot, "--where", "l1<abc"}, 2, `--where "l1<abc": "abc" is not a number`},
		{[]string{"runs", fixtureRoot, "--where", "l1"}, 2, `--where "l1": want COLUMN OP VALUE`},
		{[]string{"runs", fixtureRoot, "--sort", "-val_acc"}, 2, `--sort: unknown column "val_acc"`},
		{[]string{"runs", fixtureRoot, "--csv", "--json"}, 2, "--csv and --json exclude each other"},
		{[]string{"runs", t.TempDir()}, 1, "not a results directory"},
		{[]string{"diff", "--results", results, "small-n100-l1_0-e2-b32-s", "small-n100-l1_0-e2-b32-s1"}, 1, "small-n100-l1_0-e2-b32-s: no such run directory, nor a run of that id under testdata/results (did you mean small-n100-l1_0-e2-b32-s1-9d22bb7c00?)"},
		{[]string{"diff", "--results", results, "small-n100-l1_0-e2-b32-s1"}, 2, "want two runs, got 1 arguments"},
	}
	for _, tc := range tests {
		code, _, errOut := convlab(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: status %d (want %d), stderr:\n%s\nwant %q", tc.args, code, tc.code, errOut, tc.want)
		}
	}
}

// --where compares numbers as numbers: 1e-3 is 0.001, and < excludes it.
func TestWhereComparesNumbers(t *testing.T) {
	row := runRow{"l1": "0.001", "arch": "maxpool", "run_id": "x"}
	tests := []struct {
		where string
		want  bool
	}{
		{"l1=1e-3", true}, {"l1<0.001", false}, {"l1<=0.001", true}, {"l1>0", true}, {"l1>=0.01", false},
		{"l1!=0.001", false}, {"arch=maxpool", true}, {"arch=max*", true}, {"arch!=strided", true},
		{"arch=maxpool,l1<0.01", true}, {"arch=maxpool,l1>0.01", false},
	}
	for _, tc := range tests {
		conds, err := parseWhere(tc.where)
		if err != nil {
			t.Fatalf("%q: %v", tc.where, err)
		}
		got := true
		for _, c := range conds {
			got = got && c.match(row)
		}
		if got != tc.want {
			t.Errorf("%q on l1 0.001, arch maxpool: %v; want %v", tc.where, got, tc.want)
		}
	}
}

// gc --delete removes exactly the run the file no longer reaches, and a
// second gc finds nothing.
func TestGCDelete(t *testing.T) {
	results := t.TempDir()
	copyTree(t, fixtureRoot, filepath.Join(results, "fixture"))
	fixture := filepath.Join("testdata", "fixture.yaml")
	code, out, errOut := convlab(t, "gc", "--results", results, fixture, "--delete")
	if code != 0 || !strings.Contains(out, "removed 1 unreached run,") {
		t.Fatalf("gc --delete: status %d, stdout %q, stderr %s", code, out, errOut)
	}
	left, _ := filepath.Glob(filepath.Join(results, "fixture", "runs", "*"))
	if len(left) != 4 {
		t.Errorf("%d runs left, want the 4 the file declares: %v", len(left), left)
	}
	if _, err := os.Stat(filepath.Join(results, "fixture", "runs", "small-n100-l1_0.001-e1-b32-s1-37adbaade9")); !os.IsNotExist(err) {
		t.Errorf("the unreached run is still there: %v", err)
	}
	if _, out, _ := convlab(t, "gc", "--results", results, fixture); out != "no unreached runs\n" {
		t.Errorf("second gc: %q", out)
	}
	// Without sweeps.json (the last report's runs), overrides are what
	// reach runs: with sweep l1 at one epoch, its runs of two are unreached.
	if err := os.RemoveAll(filepath.Join(results, "fixture")); err != nil {
		t.Fatal(err)
	}
	copyTree(t, fixtureRoot, filepath.Join(results, "fixture"))
	if err := os.Remove(filepath.Join(results, "fixture", "sweeps.json")); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = convlab(t, "gc", "--results", results, fixture, "-S", "sweeps.l1.set.epochs=1")
	if code != 0 || strings.Contains(out, "e1-b32") || !strings.Contains(out, "small-n100-l1_0-e2-b32-s1") || !strings.Contains(out, "2 unreached runs") {
		t.Errorf("gc -S sweeps.l1.set.epochs=1: want the e1 run reached, the two e2 runs of sweep l1 not:\n%s%s", out, errOut)
	}
}

// copyTree copies the regular files under src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// FuzzQueryFlags feeds arbitrary --where and --sort values: never a panic,
// a bad value is a usage error, a good one applies to a row.
func FuzzQueryFlags(f *testing.F) {
	f.Add("arch=maxpool,l1<0.01", "-val_accuracy,run_id")
	f.Add("l1>=1e-3,arch!=st*", "+n")
	f.Add("=,<", "-")
	f.Fuzz(func(t *testing.T, where, sortBy string) {
		row := runRow{"arch": "maxpool", "l1": "0.001", "run_id": "x", "val_accuracy": "0.5"}
		conds, err := parseWhere(where)
		var ue usageError
		if err != nil && !errors.As(err, &ue) {
			t.Fatalf("--where %q: %v is not a usage error", where, err)
		}
		for _, c := range conds {
			c.match(row)
		}
		keys, err := parseSort(sortBy)
		if err != nil && !errors.As(err, &ue) {
			t.Fatalf("--sort %q: %v is not a usage error", sortBy, err)
		}
		sortRows([]runRow{row, {"arch": "strided"}}, keys)
	})
}
