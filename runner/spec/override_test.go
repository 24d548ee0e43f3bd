package spec

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const overrideBase = `name: o
defaults:
  n: 100
  epochs: 2
sweeps:
  a:
    feeds: [figure2]
  b:
    set: {l1: 0.001}
`

// loadOverridden writes body to dir/o.yaml and loads it with the overrides.
func loadOverridden(t *testing.T, dir, body string, args ...string) (*Plan, error) {
	t.Helper()
	file := filepath.Join(dir, "o.yaml")
	writeFile(t, file, body)
	var ovs []Override
	for _, a := range args {
		flag, text, _ := strings.Cut(a, " ")
		o, err := ParseOverride(text, flag == "-m")
		if err != nil {
			t.Fatalf("ParseOverride(%q): %v", a, err)
		}
		ovs = append(ovs, o)
	}
	return LoadWith(Options{Overrides: ovs}, file)
}

// runKeys lists the runs' ids and hashes, and each sweep's runs.
func planShape(p *Plan) []string {
	var out []string
	for _, r := range p.Runs {
		out = append(out, r.ID+" "+r.Hash())
	}
	for _, f := range p.Files {
		for _, s := range f.Sweeps {
			out = append(out, s.Name+": "+strings.Join(s.Axes, ",")+": "+strings.Join(s.RunIDs, " "))
		}
	}
	return out
}

// Every override form gives exactly the plan of the file edited by hand:
// the same run ids, hashes and sweeps.
func TestOverridesEqualTheEditedFile(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		edited string
	}{
		{"a default", []string{"-S epochs=3"},
			strings.Replace(overrideBase, "epochs: 2", "epochs: 3", 1)},
		{"a new default", []string{"-S seed=7", "-S optimizer.learning_rate=0.01"},
			strings.Replace(overrideBase, "  epochs: 2\n", "  epochs: 2\n  seed: 7\n  optimizer: {learning_rate: 0.01}\n", 1)},
		{"later wins", []string{"-S epochs=3", "-S epochs=4"},
			strings.Replace(overrideBase, "epochs: 2", "epochs: 4", 1)},
		{"into a sweep", []string{"-S sweeps.b.set.epochs=5"},
			strings.Replace(overrideBase, "set: {l1: 0.001}", "set: {l1: 0.001, epochs: 5}", 1)},
		{"a sweep without set", []string{"-S sweeps.a.set.epochs=5"},
			strings.Replace(overrideBase, "feeds: [figure2]", "feeds: [figure2]\n    set: {epochs: 5}", 1)},
		{"an axis with -m", []string{"-m n=100,200"},
			strings.Replace(strings.Replace(overrideBase, "feeds: [figure2]", "feeds: [figure2]\n    grid: {n: [100, 200]}", 1), "set: {l1: 0.001}", "set: {l1: 0.001}\n    grid: {n: [100, 200]}", 1)},
		{"an axis with -S [..]", []string{"-S n=[100,200]"},
			strings.Replace(strings.Replace(overrideBase, "feeds: [figure2]", "feeds: [figure2]\n    grid: {n: [100, 200]}", 1), "set: {l1: 0.001}", "set: {l1: 0.001}\n    grid: {n: [100, 200]}", 1)},
		{"an axis replaces a set value", []string{"-m l1=0,0.1"},
			strings.Replace(strings.Replace(overrideBase, "feeds: [figure2]", "feeds: [figure2]\n    grid: {l1: [0, 0.1]}", 1), "set: {l1: 0.001}", "grid: {l1: [0, 0.1]}", 1)},
		{"a grid by path", []string{"-m sweeps.a.grid.seed=1,2"},
			strings.Replace(overrideBase, "feeds: [figure2]", "feeds: [figure2]\n    grid: {seed: [1, 2]}", 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := loadOverridden(t, t.TempDir(), overrideBase, tc.args...)
			if err != nil {
				t.Fatalf("overridden: %v", err)
			}
			want, err := loadOverridden(t, t.TempDir(), tc.edited)
			if err != nil {
				t.Fatalf("edited file: %v", err)
			}
			if g, w := planShape(got), planShape(want); !reflect.DeepEqual(g, w) {
				t.Errorf("overridden plan:\n%s\nwant (edited file):\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
			}
			if g := got.Files[0].Overrides; !reflect.DeepEqual(g, tc.args) {
				t.Errorf("File.Overrides = %q; want %q", g, tc.args)
			}
		})
	}
}

// A bad override is checked by the file's own rules and named by its
// argument; one that cannot be applied says why.
func TestOverrideErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-S epochs=0"}, "-S epochs=0: defaults.epochs: must be at least 1, got 0"},
		{[]string{"-S epoch=3"}, `-S epoch=3: defaults.epoch: unknown key "epoch" (did you mean epochs?)`},
		{[]string{"-S n=60000"}, "-S n=60000: defaults.n: 60000 is more than the 50000 training images of cifar10; valid: 1 to 50000"},
		{[]string{"-m n=100,0"}, "-m n=100,0: sweeps.a.grid.n[1]: must be at least 1, got 0"},
		{[]string{"-S arch=maxpol"}, `-S arch=maxpol: defaults.arch: unknown architecture "maxpol" (did you mean maxpool?)`},
		{[]string{"-S defaults.l1=abc"}, `-S defaults.l1=abc: defaults.l1: must be a number, got the text "abc"`},
		{[]string{"-S sweeps.b.set.l1.x=1"}, "-S sweeps.b.set.l1.x=1: sweeps.b.set.l1 is the number 0.001, not a mapping that x could go into"},
		{[]string{"-S sweeps.zzz.set.epochs=1"}, `-S sweeps.zzz.set.epochs=1: unknown sweep "zzz"; valid: a, b`}, {[]string{"-S sweeps.bb.set.epochs=1"}, `unknown sweep "bb" (did you mean b?)`},
		{[]string{"-S optimizer=[1]"}, "-S optimizer=[1]: sweeps.a.grid.optimizer: cannot be a grid axis"},
	}
	for _, tc := range tests {
		_, err := loadOverridden(t, t.TempDir(), overrideBase, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v; want it to contain %q", tc.args, err, tc.want)
		}
	}
}

// A default that every sweep sets itself would change nothing: that is an
// error pointing at the sweeps, not a silent no-op.
func TestOverrideShadowedDefault(t *testing.T) {
	_, err := loadOverridden(t, t.TempDir(), overrideBase, "-S l1=0.5")
	if err != nil {
		t.Fatalf("l1 is not set by sweep a, so the default applies there: %v", err)
	}
	body := strings.Replace(overrideBase, "feeds: [figure2]", "feeds: [figure2]\n    grid: {l1: [0, 1]}", 1)
	_, err = loadOverridden(t, t.TempDir(), body, "-S l1=0.5")
	want := "-S l1=0.5: defaults.l1: no run gets this default: every sweep gives l1 itself (sweeps.a.grid.l1, sweeps.b.set.l1)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v; want %q", err, want)
	}
}

func TestParseOverrideErrors(t *testing.T) {
	tests := []struct {
		text  string
		multi bool
		want  string
	}{
		{"epochs", false, "-S epochs: want KEY=VALUE, e.g. -S epochs=10"},
		{"=3", false, "-S =3: want KEY=VALUE"},
		{"sweeps..set.n=1", false, `-S sweeps..set.n=1: "sweeps..set.n" has an empty part`},
		{"n=[1,", false, "-S n=[1,: invalid value:"},
		{"kind=convolution", false, "-S kind=convolution: the kind of a file cannot be overridden"},
		{"optimizer.learning_rate=0.1,0.01", true, "-m optimizer.learning_rate=0.1,0.01: a multirun axis is one run setting"},
		{"sweeps.a.set.n=1,2", true, "-m sweeps.a.set.n=1,2: a list here is not a grid axis"},
	}
	for _, tc := range tests {
		_, err := ParseOverride(tc.text, tc.multi)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseOverride(%q, %v): %v; want %q", tc.text, tc.multi, err, tc.want)
		}
	}
}

// An override of one sweep that shares its set with another through an
// anchor changes that sweep only.
func TestOverrideLeavesAnchorsAlone(t *testing.T) {
	body := `defaults: {n: 100, epochs: 2}
sweeps:
  a: {set: &common {seed: 3}, feeds: [figure2]}
  b: {set: *common, grid: {l1: [0, 1]}}
`
	p, err := loadOverridden(t, t.TempDir(), body, "-S sweeps.a.set.seed=4")
	if err != nil {
		t.Fatal(err)
	}
	seeds := map[string]int64{}
	for _, r := range p.Runs {
		seeds[r.Sweeps[0]] = r.Seed
	}
	if seeds["a"] != 4 || seeds["b"] != 3 {
		t.Errorf("seeds by sweep %v; want a: 4, b: 3", seeds)
	}
}

// A relative data_dir given on the command line is relative to the
// working directory, not to the file.
func TestOverrideDataDirIsRelativeToWorkingDirectory(t *testing.T) {
	dir := t.TempDir()
	p, err := loadOverridden(t, dir, overrideBase, "-S data_dir=some/data")
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Runs[0].DataDir; got != filepath.Join("some", "data") {
		t.Errorf("data_dir %q; want some/data", got)
	}
	body := strings.Replace(overrideBase, "  n: 100\n", "  n: 100\n  data_dir: some/data\n", 1)
	p, err = loadOverridden(t, dir, body)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Runs[0].DataDir; got != filepath.Join(dir, "some", "data") {
		t.Errorf("data_dir in the file %q; want it next to the file", got)
	}
}

// FuzzOverride applies arbitrary -S and -m text to arbitrary files: never
// a panic, and every error names the file or the argument.
func FuzzOverride(f *testing.F) {
	f.Add("epochs=3", false, []byte(overrideBase))
	f.Add("n=100,200", true, []byte(overrideBase))
	f.Add("sweeps.a.set.l1=[1]", false, []byte("sweeps: {a: &x {set: *x}}"))
	f.Add("sweeps.a.grid.n=1,2", true, []byte("sweeps: {a: {set: &s {n: 5}}, b: {set: *s}}"))
	f.Fuzz(func(t *testing.T, text string, multi bool, data []byte) {
		o, err := ParseOverride(text, multi)
		if err != nil {
			if !strings.HasPrefix(err.Error(), o.Arg+": ") {
				t.Fatalf("error %q does not start with the argument %q", err, o.Arg)
			}
			return
		}
		fs := parseFile("fuzz.yaml", data, Options{Overrides: []Override{o}})
		if _, err := build([]string{"fuzz.yaml"}, []*fileSpec{fs}, fs.d.Errs); err != nil {
			var list Errors
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %v is not a non-empty Errors", err)
			}
			for _, e := range list {
				if (e.File != "fuzz.yaml" && e.File != o.Arg) || e.Msg == "" {
					t.Fatalf("error %#v names neither the file nor %q", e, o.Arg)
				}
			}
		}
	})
}
