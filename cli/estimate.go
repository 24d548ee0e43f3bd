package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"convlab/runner/integrity"
	"convlab/runner/results"
	"convlab/runner/spec"
)

// throughput is the measured training speed, in images per second, of
// each architecture (by name and parameter count), learnt from finished
// runs under the results directory.
type throughput struct {
	images  map[string]float64
	seconds map[string]float64
}

// measuredThroughput reads every intact finished run under resultsDir.
func measuredThroughput(resultsDir string) *throughput {
	t := &throughput{images: map[string]float64{}, seconds: map[string]float64{}}
	trees, _ := filepath.Glob(filepath.Join(resultsDir, "*"))
	for _, root := range trees {
		if fi, err := os.Stat(filepath.Join(root, results.RunsDir)); err != nil || !fi.IsDir() {
			continue
		}
		// Damaged runs are left out, not the whole tree.
		recs, _, err := integrity.ReadIntact(root)
		if err != nil {
			continue
		}
		for _, r := range recs {
			if r.Metrics.TrainSeconds <= 0 {
				continue
			}
			k := archKey(r.Run)
			t.images[k] += trainImages(r.Run)
			t.seconds[k] += r.Metrics.TrainSeconds
		}
	}
	return t
}

func archKey(r spec.Run) string {
	return fmt.Sprintf("%s|%s|%d", r.Arch.Name, r.Dataset, r.BatchSize)
}

// trainImages is how many images a run passes through training: its
// training part times its epochs (validation passes are cheap beside it).
func trainImages(r spec.Run) float64 {
	train := int(float64(r.N) * (1 - r.ValidationSplit))
	return float64(train) * float64(r.Epochs)
}

// estimate is the wall time the runs would take at the measured speed,
// or ok false when no run of some architecture has been measured.
func (t *throughput) estimate(runs []spec.Run) (d time.Duration, ok bool) {
	var secs float64
	for _, r := range runs {
		k := archKey(r)
		if t.seconds[k] == 0 {
			return 0, false
		}
		secs += trainImages(r) / (t.images[k] / t.seconds[k])
	}
	return time.Duration(secs * float64(time.Second)), true
}

// estimateTime estimates the training time of runs at the speed of the
// finished runs under resultsDir, or for architectures without one, at the
// speed the last 'convlab bench' measured.
func estimateTime(resultsDir string, runs []spec.Run) (time.Duration, string, bool) {
	measured, benched := measuredThroughput(resultsDir), benchThroughput()
	for k := range benched.seconds {
		if measured.seconds[k] == 0 {
			measured.images[k], measured.seconds[k] = benched.images[k], benched.seconds[k]
		}
	}
	d, ok := measured.estimate(runs)
	return d, "at the measured speed of finished runs, else of 'convlab bench'", ok
}
