package net

import (
	"math/rand/v2"
	"runtime"
	"testing"
	"weak"

	G "gorgonia.org/gorgonia"

	"convlab/arch"
)

func TestClosedModelFreedInOneCollection(t *testing.T) {
	// A closed model's graphs and inference buffers must go in the first
	// garbage collection after the model is dropped: an object that keeps
	// a finalizer outlives that collection with all it reaches, and a
	// grid's memory then grows with its number of runs.
	build := func() (train weak.Pointer[G.ExprGraph], infer weak.Pointer[inferState]) {
		m, err := Build(allKinds(), arch.Shape{C: 2, H: 9, W: 9}, 4)
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, 1))
		x, y := randImages(r, 4, arch.Shape{C: 2, H: 9, W: 9}), randLabels(r, 4, 3)
		if _, _, err := m.TrainStep(x, y); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Predict(x, 4); err != nil {
			t.Fatal(err)
		}
		train, infer = weak.Make(m.train[4].g), weak.Make(m.infer)
		m.Close()
		return train, infer
	}
	train, infer := build()
	runtime.GC()
	if train.Value() != nil || infer.Value() != nil {
		t.Errorf("after Close and one collection: training graph kept %v, inference state kept %v",
			train.Value() != nil, infer.Value() != nil)
	}
}
