package train_test

import (
	"context"
	"fmt"

	"convlab/arch"
	"convlab/runner/dataset"
	"convlab/runner/spec"
	"convlab/runner/train"
)

// Train a tiny network on a few 1×4×4 images whose class is the bright
// half (top or bottom), with a checkpoint after every epoch.
func ExampleTrain() {
	img := func(top bool) []uint8 {
		x := make([]uint8, 16)
		for i := range x {
			if (i < 8) == top {
				x[i] = 255
			}
		}
		return x
	}
	var t dataset.Tensor
	t.C, t.H, t.W = 1, 4, 4
	for i := 0; i < 40; i++ {
		t.Pixels = append(t.Pixels, img(i%2 == 0)...)
		t.Y = append(t.Y, uint8(i%2))
		t.N++
	}
	data := &dataset.Prepared{Train: t, Val: t, Test: t, Classes: []string{"top", "bottom"}}
	run := spec.Run{ID: "halves", Arch: arch.Arch{Name: "halves", Layers: []arch.Layer{
		{Kind: arch.KindConv2D, Filters: 2, Kernel: 3},
		{Kind: arch.KindFlatten},
		{Kind: arch.KindDense, Units: 2, Activation: arch.ActSoftmax},
	}}, Epochs: 5, BatchSize: 8, Seed: 1, Optimizer: spec.Optimizer{Name: "adam", LearningRate: 0.05}}
	saved := 0
	rec, model, err := train.Train(context.Background(), run, data, train.Options{
		Threads:    1,
		Checkpoint: func(epoch int, state []byte) error { saved = epoch; return nil },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer model.Close()
	fmt.Println(len(rec.History), "epochs; last checkpoint after epoch", saved)
	fmt.Println("test accuracy:", rec.Metrics.Test.Accuracy)
	fmt.Println("confusion:", rec.Metrics.Test.Confusion)
	// Output:
	// 5 epochs; last checkpoint after epoch 5
	// test accuracy: 1
	// confusion: [[20 0] [0 20]]
}
