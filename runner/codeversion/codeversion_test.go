package codeversion

import (
	"io/fs"
	"os"
	"os/exec"
	"path"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// goList runs go list on runner/train, or skips without the go tool.
func goList(t *testing.T, format string) []string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go tool to list training's imports")
	}
	out, err := exec.Command("go", "list", "-deps", "-f", format, "convlab/runner/train").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" && !slices.Contains(lines, l) {
			lines = append(lines, l)
		}
	}
	slices.Sort(lines)
	return lines
}

// Packages that training imports but that compute no number of a run.
var notNumbers = map[string]string{
	"convlab/runner/spec":         "parses experiment files; a run's settings enter its key through spec.Run.Hash",
	"convlab/runner/progress":     "shows progress",
	"convlab/internal/atomicfile": "writes files atomically",
	"convlab/internal/yamlfile":   "decodes the YAML of experiment files, for runner/spec",
	"convlab/runner/codeversion":  "this package",
}

// Every convlab package that training links is either hashed or listed
// as computing no number: a new package of training code that is neither
// fails here until it gets a source.go and an entry in Packages.
func TestPackagesCoverTraining(t *testing.T) {
	hashed := map[string]bool{}
	for _, p := range Packages {
		hashed[p.Path] = true
	}
	deps := goList(t, "{{if not .Standard}}{{.ImportPath}}{{end}}")
	for _, d := range deps {
		if !strings.HasPrefix(d, "convlab/") || hashed[d] || notNumbers[d] != "" {
			continue
		}
		t.Errorf("training imports %s, which is not part of the code version: add a source.go that embeds its source (as arch/source.go does) and add it to Packages, or to notNumbers in this test if it computes no number", d)
	}
	for p := range hashed {
		if !slices.Contains(deps, p) {
			t.Errorf("Packages lists %s, which training does not import", p)
		}
	}
}

// The integrity checks of finished runs are not training code: were
// runner/integrity linked by training (say, its code moved back into
// runner/results), every fix to them would retrain every run.
func TestIntegrityIsNotTrainingCode(t *testing.T) {
	deps := goList(t, "{{.ImportPath}}")
	if slices.Contains(deps, "convlab/runner/integrity") {
		t.Error("training imports convlab/runner/integrity: keep DONE markers and verification out of the training code")
	}
	for _, p := range Packages {
		if p.Path == "convlab/runner/integrity" {
			t.Error("Packages hashes convlab/runner/integrity")
		}
	}
}

// Every source file of a hashed package is embedded: a package that gains
// assembly, say, must embed *.s too, and the assembly's headers *.h.
func TestEveryFileIsEmbedded(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go tool to find the packages' directories")
	}
	for _, p := range Packages {
		out, err := exec.Command("go", "list", "-f", "{{.Dir}}", p.Path).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", p.Path, err)
		}
		entries, err := os.ReadDir(strings.TrimSpace(string(out)))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			name := e.Name()
			source := strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") || strings.HasSuffix(name, ".s") || strings.HasSuffix(name, ".h")
			if !source || e.IsDir() {
				continue
			}
			if _, err := fs.Stat(p.Source, name); err != nil {
				t.Errorf("%s/%s is not embedded in %s.Source: widen the go:embed patterns of its source.go", p.Path, name, path.Base(p.Path))
			}
		}
	}
}

func TestModulesMatchGoMod(t *testing.T) {
	var want []string
	for _, m := range goList(t, "{{with .Module}}{{.Path}} {{.Version}}{{end}}") {
		if m != "convlab" {
			want = append(want, m)
		}
	}
	var got []string
	for m, v := range Modules {
		got = append(got, m+" "+v)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("codeversion.Modules is not what go.mod gives training; set it to these (every run then trains again):\n%s", strings.Join(want, "\n"))
	}
}

func TestComputeFollowsTheCodeNotItsComments(t *testing.T) {
	const base = "package k\n\n// Add adds.\nfunc Add(a, b float32) float32 { return a + b }\n"
	src := func(files map[string]string) []Package {
		fsys := fstest.MapFS{}
		for name, data := range files {
			fsys[name] = &fstest.MapFile{Data: []byte(data)}
		}
		return []Package{{"convlab/k", fsys}}
	}
	mods := map[string]string{"gorgonia.org/gorgonia": "v0.9.18"}
	ref, err := Compute(src(map[string]string{"k.go": base, "k_amd64.s": "TEXT ·f(SB)\n"}), mods)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		files map[string]string
		mods  map[string]string
		same  bool
	}{
		{"unchanged", map[string]string{"k.go": base, "k_amd64.s": "TEXT ·f(SB)\n"}, mods, true},
		{"comment edited", map[string]string{"k.go": strings.Replace(base, "Add adds.", "Add returns a+b.", 1), "k_amd64.s": "TEXT ·f(SB)\n"}, mods, true},
		{"reformatted", map[string]string{"k.go": strings.Replace(base, "{ return a + b }", "{\n\treturn a+b\n}", 1), "k_amd64.s": "TEXT ·f(SB)\n"}, mods, true},
		{"test file added", map[string]string{"k.go": base, "k_test.go": "package k\n", "k_amd64.s": "TEXT ·f(SB)\n"}, mods, true},
		{"code changed", map[string]string{"k.go": strings.Replace(base, "a + b", "b + a", 1), "k_amd64.s": "TEXT ·f(SB)\n"}, mods, false},
		{"build constraint added", map[string]string{"k.go": "//go:build amd64\n\n" + base, "k_amd64.s": "TEXT ·f(SB)\n"}, mods, false},
		{"assembly changed", map[string]string{"k.go": base, "k_amd64.s": "TEXT ·g(SB)\n"}, mods, false},
		{"file renamed", map[string]string{"k2.go": base, "k_amd64.s": "TEXT ·f(SB)\n"}, mods, false},
		{"gorgonia upgraded", map[string]string{"k.go": base, "k_amd64.s": "TEXT ·f(SB)\n"}, map[string]string{"gorgonia.org/gorgonia": "v0.9.19"}, false},
	}
	for _, tt := range tests {
		got, err := Compute(src(tt.files), tt.mods)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if (got == ref) != tt.same {
			t.Errorf("%s: version %s, reference %s; want same %v", tt.name, got, ref, tt.same)
		}
	}
	if len(ref) != 16 {
		t.Errorf("version %q: want 16 hex digits", ref)
	}
}

func TestVersionIsStable(t *testing.T) {
	v := Version()
	again, err := Compute(Packages, Modules)
	if err != nil || again != v {
		t.Errorf("Version %s, computed again %s (%v)", v, again, err)
	}
	if _, err := Compute([]Package{{"convlab/bad", fstest.MapFS{"bad.go": {Data: []byte("package x\n\"unterminated\n")}}}}, nil); err == nil {
		t.Error("a Go file that does not scan gave a version")
	}
}

// BenchmarkCompute is the cost of the identity, paid once per process
// (Version memoises it).
func BenchmarkCompute(b *testing.B) {
	for b.Loop() {
		if _, err := Compute(Packages, Modules); err != nil {
			b.Fatal(err)
		}
	}
}
