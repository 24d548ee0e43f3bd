package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every command that takes experiment files loads them through loadFiles,
// which reports the problems of every file of every kind in one pass: an
// unreadable file, a bad training file and a bad convolution file given
// together are all named, in that order (kind, then training, then
// convolution), whichever command is run.
func TestLoadFilesReportsEveryKindsProblems(t *testing.T) {
	dir := t.TempDir()
	train := filepath.Join(dir, "train.yaml")
	conv := filepath.Join(dir, "conv.yaml")
	missing := filepath.Join(dir, "missing.yaml")
	files := map[string]string{
		train: "defaults:\n  epochs: 2\n  l1: -1\nsweeps:\n  a:\n    grid: {n: [10]}\n",
		conv:  "kind: convolution\nimage: photo.png\nkernels:\n  k: [[1, 2]]\n",
	}
	for p, body := range files {
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		missing + ": cannot read the experiment file",
		train + ":3:7: defaults.l1:",
		conv + ":4:6: kernel k is not square",
	}
	for _, cmd := range []string{"plan", "run", "report", "verify", "gc"} {
		code, out, errOut := convlab(t, cmd, "--results", filepath.Join(dir, "results"), missing, train, conv)
		if code != 1 || out != "" {
			t.Errorf("%s: status %d, stdout %q; want 1 and nothing", cmd, code, out)
		}
		at := 0
		for _, w := range want {
			i := strings.Index(errOut[at:], w)
			if i < 0 {
				t.Errorf("%s: stderr lacks %q after byte %d:\n%s", cmd, w, at, errOut)
				break
			}
			at += i + len(w)
		}
	}
}
