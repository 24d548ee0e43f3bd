package train

import (
	"context"
	"os"
	"testing"

	"convlab/arch"
	"convlab/runner/dataset"
	"convlab/runner/spec"
)

// realRun trains the strided preset on the CIFAR-10 files in CIFAR10_DIR
// (skipped when unset) and checks it beats the most-common-label baseline.
func realRun(t *testing.T, n, epochs int, margin float64) {
	dir := os.Getenv("CIFAR10_DIR")
	if dir == "" {
		t.Skip("CIFAR10_DIR is not set")
	}
	train, test, err := dataset.ReadCIFAR10(dir)
	if err != nil {
		t.Fatal(err)
	}
	data, err := dataset.Prepare(train, test, n, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	a, err := arch.Preset("strided")
	if err != nil {
		t.Fatal(err)
	}
	run := spec.Run{ID: "strided-real", Dataset: "cifar10", Arch: a, N: n, L1: 1e-4, Epochs: epochs,
		BatchSize: 128, ValidationSplit: 0.1, Seed: 1, Optimizer: spec.DefaultOptimizer()}
	r, m, err := Train(context.Background(), run, data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, e := range r.History {
		t.Logf("epoch %d: loss %.4f acc %.4f val_loss %.4f val_acc %.4f (%.1fs)", e.Epoch, e.Loss, e.Accuracy, e.ValLoss, e.ValAccuracy, e.Seconds)
	}
	mt := r.Metrics
	t.Logf("n=%d epochs=%d: train acc %.4f, test acc %.4f, baseline train %.4f test %.4f, %.1fs training",
		n, epochs, mt.Train.Accuracy, mt.Test.Accuracy, mt.BaselineTrain, mt.BaselineTest, mt.TrainSeconds)
	if mt.Test.Accuracy < mt.BaselineTest+margin {
		t.Errorf("test accuracy %.4f does not beat the baseline %.4f by %.2f", mt.Test.Accuracy, mt.BaselineTest, margin)
	}
}

// TestRealDataShort is CI's real-data check: a few epochs on part of the
// subset must beat the baseline.
func TestRealDataShort(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	realRun(t, 2000, 3, 0.05)
}

// TestRealDataLong is the study's setting (strided, n = 5000, 20 epochs);
// it runs only with CONVLAB_LONG=1.
func TestRealDataLong(t *testing.T) {
	if os.Getenv("CONVLAB_LONG") != "1" {
		t.Skip("set CONVLAB_LONG=1 to run")
	}
	realRun(t, 5000, 20, 0.15)
}
