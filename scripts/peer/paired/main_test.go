package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeConvlab writes a finished convlab run directory as convlab run
// leaves it (only the files the summary reads).
func writeConvlab(t *testing.T, dir, side string, seed int, loss []float64, test float64, done bool) {
	t.Helper()
	rd := filepath.Join(dir, side, "results", "fidelity", "runs", fmt.Sprintf("strided-s%d", seed))
	if err := os.MkdirAll(rd, 0o755); err != nil {
		t.Fatal(err)
	}
	m := fmt.Sprintf(`{"run":{"arch":{"name":"strided","layers":[]},"n":5000,"l1":0.001,"epochs":%d,"seed":%d},"metrics":{"test":{"accuracy":%g}}}`, len(loss), seed, test)
	h := "epoch,loss,accuracy,val_loss,val_accuracy,seconds\n"
	for i, l := range loss {
		h += fmt.Sprintf("%d,%g,0.5,1.5,0.4,1\n", i+1, l)
	}
	files := map[string]string{"metrics.json": m, "history.csv": h}
	if done {
		files["DONE"] = ""
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(rd, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func writeReference(t *testing.T, dir, side string, seed int, loss []float64, test float64) {
	t.Helper()
	var h []string
	for i, l := range loss {
		h = append(h, fmt.Sprintf(`{"epoch":%d,"loss":%g,"accuracy":0.5,"val_loss":1.5,"val_accuracy":0.4}`, i+1, l))
	}
	body := fmt.Sprintf(`{"impl":"reference","arch":"strided","n":5000,"l1":0.001,"epochs":%d,"seed":%d,"history":[%s],"test_accuracy":%g}`,
		len(loss), seed, strings.Join(h, ","), test)
	if err := os.MkdirAll(filepath.Join(dir, side), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, side, fmt.Sprintf("s%d.json", seed)), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSummary(t *testing.T) {
	dir := t.TempDir()
	// convlab test accuracies 0.50 0.52 0.54 against paired 0.49 0.52
	// 0.52: differences 0.01 0 0.02, mean 0.01, sd 0.01, standard error
	// 0.01/sqrt(3); t(0.975, 2) = 4.302653 gives a half-width of 0.024841.
	// Seed 4 is convlab's alone and seed 5 unfinished: neither is a pair.
	writeConvlab(t, dir, sideConvlab, 1, []float64{2.0, 1.5}, 0.50, true)
	writeConvlab(t, dir, sideConvlab, 2, []float64{2.1, 1.6}, 0.52, true)
	writeConvlab(t, dir, sideConvlab, 3, []float64{2.2, 1.7}, 0.54, true)
	writeConvlab(t, dir, sideConvlab, 4, []float64{2.3, 1.8}, 0.90, true)
	writeConvlab(t, dir, sideConvlab, 5, []float64{9, 9}, 0.90, false)
	// the nudged run of seed 1 parts from paired's by 0.2 at epoch 2
	writeReference(t, dir, sideNudged, 1, []float64{2.0, 1.6}, 0.50)
	writeReference(t, dir, sidePaired, 1, []float64{2.0, 1.4}, 0.49)
	writeReference(t, dir, sidePaired, 2, []float64{2.1, 1.8}, 0.52)
	writeReference(t, dir, sidePaired, 3, []float64{2.2, 1.6}, 0.52)
	writeReference(t, dir, sidePaired, 5, []float64{2.2, 1.6}, 0.52)
	// reference 0.40 0.42 against paired 0.49 0.52 0.52 0.52 (Welch).
	writeReference(t, dir, sideReference, 1, []float64{2.0, 1.4}, 0.40)
	writeReference(t, dir, sideReference, 2, []float64{2.0, 1.4}, 0.42)
	// a swap side: 0.45 0.47 against reference 0.40 0.42 (difference 0.05,
	// both variances of the mean 0.0001, df 2: half-width 4.302653*0.01414)
	writeReference(t, dir, swapPrefix+"init=convlab", 1, []float64{2.0, 1.4}, 0.45)
	writeReference(t, dir, swapPrefix+"init=convlab", 2, []float64{2.0, 1.4}, 0.47)
	s, err := load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := write(&b, s); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"| strided l1 0.001 (n 5000, 2 ep) | test accuracy | 4/4/2/1 (3 pairs) | 0.6150 | 0.5125 | 0.4100 | +0.0100 [-0.0148, +0.0348] |",
		"| strided l1 0.001 | test accuracy | init=convlab | 2 | 0.4600 | +0.0500 [-0.0108, +0.1108] |",
		// the epoch-2 losses part by 0.1, 0.2, 0.1: mean 0.13; epoch 1 not at all
		"| strided l1 0.001 | 1 | 3 | 0 | 0 | 0 | 1 | 0 | 0 | 0 |",
		"| strided l1 0.001 | 2 | 3 | 0.13 | 0 | 0 | 1 | 0.2 | 0 | 0 |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the summary lacks %q:\n%s", want, out)
		}
	}
}
