package main

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The README's Layout section lists every package, one line each, and
// each package imports only packages listed above it: the list is the
// floor plan a newcomer reads, and an import against it is a layering
// defect.
func TestReadmeLayoutFollowsTheImports(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go tool to list the packages")
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	start := strings.Index(s, "## Layout\n")
	if start < 0 {
		t.Fatal("README.md has no ## Layout section")
	}
	s = s[start+len("## Layout\n"):]
	if end := strings.Index(s, "\n## "); end >= 0 {
		s = s[:end]
	}
	pos := map[string]int{}
	name := regexp.MustCompile("`([^`]+)`")
	for _, line := range strings.Split(s, "\n") {
		head, _, ok := strings.Cut(line, ": ")
		if !ok || !strings.HasPrefix(head, "- `") {
			continue
		}
		for _, m := range name.FindAllStringSubmatch(head, -1) {
			p := strings.TrimSuffix(m[1], "/")
			if p == "." {
				p = "convlab"
			} else {
				p = "convlab/" + p
			}
			pos[p] = len(pos)
		}
	}
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg, imports := f[0], f[1:]
		at, listed := pos[pkg]
		if !listed {
			t.Errorf("README.md's Layout does not list %s: add one line for it", pkg)
			continue
		}
		for _, imp := range imports {
			if i, ok := pos[imp]; ok && i > at {
				t.Errorf("%s imports %s, which README.md's Layout lists below it: move one of them, or the import", pkg, imp)
			}
		}
	}
	for p := range pos {
		if p != "convlab/experiments" && !slices.Contains(strings.Fields(string(out)), p) {
			t.Errorf("README.md's Layout lists %s, which is not a package", p)
		}
	}
}
