package spec

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeFiles writes name -> body under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, path, body)
	}
}

// An including file is the merge of its includes, in order, with itself on
// top: the plan is that of the file merged by hand.
func TestIncludeMergesInOrder(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"base.yaml": `name: base
description: not inherited
defaults:
  n: 100
  epochs: 2
  optimizer: {learning_rate: 0.01}
architectures:
  tiny:
    - conv2d: {filters: 4, kernel: 3, stride: 2}
    - flatten
    - dense: {units: 10, activation: softmax}
sweeps:
  a:
    feeds: [figure2]
    set: {seed: 2, l1: 0}
  c:
    set: {arch: tiny}
`,
		"more.yaml": `defaults:
  epochs: 3
  seed: 5
`,
		"mine.yaml": `include: [base.yaml, more.yaml]
defaults:
  epochs: 4
  optimizer: {beta1: 0.8}
sweeps:
  a:
    set: {seed: 3}
  b:
    grid: {l1: [0, 1]}
`,
		"merged.yaml": `name: mine
defaults:
  n: 100
  epochs: 4
  seed: 5
  optimizer: {learning_rate: 0.01, beta1: 0.8}
architectures:
  tiny:
    - conv2d: {filters: 4, kernel: 3, stride: 2}
    - flatten
    - dense: {units: 10, activation: softmax}
sweeps:
  a:
    feeds: [figure2]
    set: {seed: 3, l1: 0}
  c:
    set: {arch: tiny}
  b:
    grid: {l1: [0, 1]}
`,
	})
	got, err := Load(filepath.Join(dir, "mine.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := Load(filepath.Join(dir, "merged.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if g, w := planShape(got), planShape(want); !reflect.DeepEqual(g, w) {
		t.Errorf("plan of mine.yaml:\n%s\nwant that of merged.yaml:\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
	if f := got.Files[0]; f.Name != "mine" || f.Description != "" {
		t.Errorf("name %q, description %q; want the including file's own (mine, none)", f.Name, f.Description)
	}
}

// Errors in an included file name the chain of files and the line and
// column in the included one; a cycle is an error.
func TestIncludeErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"in the included file", map[string]string{
			"base.yaml": "defaults:\n  n: 100\n  epoch: 3\n",
			"mine.yaml": "include: [base.yaml]\nsweeps: {a: {}}\n",
		}, []string{"MINE includes DIR/base.yaml:3:3: defaults.epoch: unknown key \"epoch\" (did you mean epochs?)"}},
		{"two levels down", map[string]string{
			"base.yaml": "defaults:\n  n: 0\n",
			"mid.yaml":  "include: base.yaml\n",
			"mine.yaml": "include: [mid.yaml]\nsweeps: {a: {}}\n",
		}, []string{"MINE includes DIR/mid.yaml includes DIR/base.yaml:2:6: defaults.n: must be at least 1, got 0"}},
		{"a value checked once merged", map[string]string{
			"base.yaml": "sweeps:\n  a: {set: {arch: tiny}}\n",
			"mine.yaml": "include: [base.yaml]\n",
		}, []string{"MINE includes DIR/base.yaml:2:19: sweeps.a.set.arch: unknown architecture \"tiny\""}},
		{"missing", map[string]string{
			"mine.yaml": "include: [base.yaml, nothere.yaml]\nsweeps: {a: {}}\n",
			"base.yaml": "defaults: {n: 10}\n",
		}, []string{"MINE:1:22: include[1]: cannot read DIR/nothere.yaml: no such file or directory"}},
		{"itself", map[string]string{
			"mine.yaml": "include: mine.yaml\nsweeps: {a: {}}\n",
		}, []string{"MINE:1:10: include: mine.yaml is already being included: an include cycle (mine.yaml includes mine.yaml)"}},
		{"a cycle", map[string]string{
			"mine.yaml": "include: [base.yaml]\nsweeps: {a: {}}\n",
			"base.yaml": "defaults: {n: 10}\ninclude: [mine.yaml]\n",
		}, []string{"MINE includes DIR/base.yaml:2:11: include[0]: mine.yaml is already being included: an include cycle (mine.yaml includes base.yaml includes mine.yaml)"}},
		{"not a name", map[string]string{
			"mine.yaml": "include: [{a: 1}]\nsweeps: {a: {}}\n",
		}, []string{"MINE:1:11: include[0]: must be text, got a mapping"}},
		{"a convolution file", map[string]string{
			"mine.yaml": "include: [conv.yaml]\nsweeps: {a: {}}\n",
			"conv.yaml": "kind: convolution\n",
		}, []string{"MINE includes DIR/conv.yaml:1:7: kind: a convolution experiment cannot be included"}},
		{"bad YAML", map[string]string{
			"mine.yaml": "include: [base.yaml]\nsweeps: {a: {}}\n",
			"base.yaml": "defaults:\n\tn: 3\n",
		}, []string{"MINE includes DIR/base.yaml:2:1: invalid YAML: a tab character"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tc.files)
			mine := filepath.Join(dir, "mine.yaml")
			_, err := Load(mine)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				w = strings.ReplaceAll(strings.ReplaceAll(w, "DIR/", dir+"/"), "MINE", mine)
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// A relative data_dir is relative to the file that writes it, included
// or not; overrides apply to the merged file.
func TestIncludeDataDirAndOverrides(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"shared/base.yaml": "defaults:\n  data_dir: data\n  n: 100\nsweeps:\n  a: {set: {epochs: 2}}\n",
		"mine.yaml":        "include: [shared/base.yaml]\n",
	})
	o, err := ParseOverride("sweeps.a.set.epochs=3", false)
	if err != nil {
		t.Fatal(err)
	}
	p, err := LoadWith(Options{Overrides: []Override{o}}, filepath.Join(dir, "mine.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r := p.Runs[0]
	if want := filepath.Join(dir, "shared", "data"); r.DataDir != want {
		t.Errorf("data_dir %q; want %q (next to the included file)", r.DataDir, want)
	}
	if r.Epochs != 3 || r.N != 100 {
		t.Errorf("epochs %d, n %d; want 3 (the override) and 100 (the include)", r.Epochs, r.N)
	}
}
