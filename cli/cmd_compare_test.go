package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"convlab/arch"
	"convlab/runner/results"
	"convlab/runner/spec"
)

// writeFinished writes a finished run of the strided preset, seed seed,
// whose last validation accuracy is val, into the results tree root.
func writeFinished(t *testing.T, root, archName string, l1 float64, seed int64, val float64) {
	t.Helper()
	a, err := arch.Preset(archName)
	if err != nil {
		t.Fatal(err)
	}
	run := spec.Run{Dataset: "cifar10", Arch: a, N: 1000, L1: l1, Epochs: 1, BatchSize: 128, ValidationSplit: 0.1,
		Seed: seed, Optimizer: spec.DefaultOptimizer()}
	run.ID = fmt.Sprintf("%s-n1000-l1_%s-e1-s%d", archName, results.FormatFloat(l1), seed)
	rec := &results.Record{Run: run, Hash: run.Hash(),
		History:    []results.Epoch{{Epoch: 1, Accuracy: val, ValAccuracy: val, Loss: 1, ValLoss: 1, Seconds: 1}},
		Metrics:    results.Metrics{Test: results.Evaluation{Accuracy: val}, TrainSeconds: 1},
		Provenance: results.Provenance{Finished: "2026-12-01T10:00:00Z"}}
	dir := results.RunDir(root, run)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := results.WriteRunFiles(dir, rec); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, results.DoneFile), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCompare(t *testing.T) {
	dir := t.TempDir()
	// maxpool and strided with seeds 1-5; strided also in a second tree
	// (counted once); l1 0 with seeds 6-10 (no shared seed with maxpool).
	maxpool := []float64{0.52, 0.50, 0.53, 0.55, 0.56}
	strided := []float64{0.49, 0.46, 0.49, 0.52, 0.54}
	for i := range 5 {
		seed := int64(i + 1)
		writeFinished(t, filepath.Join(dir, "a"), "maxpool", 1e-4, seed, maxpool[i])
		writeFinished(t, filepath.Join(dir, "a"), "strided", 1e-4, seed, strided[i])
		writeFinished(t, filepath.Join(dir, "b"), "strided", 1e-4, seed, strided[i])
		writeFinished(t, filepath.Join(dir, "b"), "strided", 0, seed+5, strided[i])
	}
	code, out, errOut := convlab(t, "compare", "--results", dir, "maxpool-n1000-l1_0.0001-e1", "strided-n1000-l1_0.0001-e1")
	if code != 0 {
		t.Fatalf("status %d: %s", code, errOut)
	}
	// The report package's tests work these numbers by hand.
	for _, want := range []string{
		"A  maxpool-n1000-l1_0.0001-e1, 5 seeds: val_accuracy 0.5320 ± 0.0239 (",
		"B  strided-n1000-l1_0.0001-e1, 5 seeds: val_accuracy 0.5000 ± 0.0308 (",
		"maxpool − strided: validation accuracy +0.032 (95% CI +0.022 to +0.042), paired t p = 0.001 (sign-flip 0.062), 5 seeds: higher",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("compare output lacks %q:\n%s", want, out)
		}
	}
	// Patterns, another metric, one tree, no shared seeds: Welch.
	code, out, errOut = convlab(t, "compare", "--results", filepath.Join(dir, "b"), "--metric", "test_accuracy", "strided-n1000-l1_0-*", "strided-n1000-l1_0.0001-e1-s[1-5]")
	if code != 0 || !strings.Contains(out, "l1 0 − l1 0.0001: test accuracy +0.000 (95% CI") || !strings.Contains(out, "Welch t") {
		t.Errorf("Welch compare: status %d\n%s%s", code, out, errOut)
	}

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"only-one"}, 2, "want two cells or run patterns A and B, got 1 argument"},
		{[]string{"--metric", "acc", "a", "b"}, 2, `unknown metric "acc"; valid: accuracy, val_accuracy`},
		{[]string{"nothing-*", "strided-*"}, 1, "nothing-* matches no finished run under"},
		// Two cells in one group: seed 1 twice.
		{[]string{"*-s1", "strided-n1000-l1_0.0001-e1"}, 1, "both have seed 1; choose runs of one cell"},
	} {
		code, _, errOut := convlab(t, append([]string{"compare", "--results", dir}, c.args...)...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("compare %v: status %d, stderr %q; want %d and %q", c.args, code, errOut, c.code, c.want)
		}
	}
}
