package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Results committed beside the code are rewritten by the runs themselves:
// they must not mark the code as changed, while a change to the code must.
func TestGitDirtyLeavesOutResults(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	t.Chdir(dir)
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.org")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(name, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "-q")
	write("main.go", "package main\n")
	write("results/grid/runs.csv", "a\n")
	git("add", ".")
	git("commit", "-q", "-m", "first")

	check := func(what string, want bool) {
		t.Helper()
		dirty, ok := gitDirty("results")
		if !ok || dirty != want {
			t.Errorf("%s: gitDirty = %v, %v; want %v, true", what, dirty, ok, want)
		}
	}
	check("clean tree", false)
	write("results/grid/runs.csv", "a\nb\n")
	write("results/grid/new.csv", "new\n")
	check("results rewritten", false)
	if dirty, ok := gitDirty(""); !ok || !dirty {
		t.Errorf("without a results directory to leave out: gitDirty = %v, %v; want true, true", dirty, ok)
	}
	if dirty, ok := gitDirty(filepath.Join(t.TempDir(), "elsewhere")); !ok || !dirty {
		t.Errorf("results outside the repository: gitDirty = %v, %v; want true, true", dirty, ok)
	}
	write("main.go", "package main\n\nfunc main() {}\n")
	check("code changed", true)
}
