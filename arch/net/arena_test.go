package net

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"

	"convlab/arch"
	"convlab/arch/ops"
)

// poison sets every value the training machines computed (activations,
// gradients, lent or owned) to NaN, so that an op reading a value it did
// not write in the current step shows in the loss or the weights.
func poison(m *Model) {
	for _, mc := range m.train {
		for _, n := range mc.g.AllNodes() {
			if n.Op() == nil {
				continue // inputs: images, labels, masks, weights
			}
			d, ok := n.Value().(*tensor.Dense)
			if !ok || d == nil {
				continue
			}
			switch v := d.Data().(type) {
			case []float32:
				for i := range v {
					v[i] = float32(math.NaN())
				}
			case []float64:
				for i := range v {
					v[i] = math.NaN()
				}
			}
		}
	}
}

// TestArenaTrainsAsOwnedBuffers trains each preset and an odd network (with an L1 and L2
// penalty) twice from the same seed, once with its machines' values lent
// from the arena and once with every op owning its buffers, on batches of
// two sizes so that both machines share the arena, poisoning every
// computed value after each step of the lending model. Loss, accuracy
// and every weight must stay bit for bit those of the owning model.
func TestArenaTrainsAsOwnedBuffers(t *testing.T) {
	// Besides the presets: 'valid' padding, pools that leave rows and
	// columns out (their gradient is zero, written or not) and a hidden
	// dense ReLU layer with dropout after it.
	odd := arch.Arch{Name: "odd", Layers: []arch.Layer{
		{Kind: arch.KindConv2D, Filters: 4, Kernel: 3, Padding: "valid"},
		{Kind: arch.KindMaxPool2D, Pool: 2},
		{Kind: arch.KindConv2D, Filters: 6, Kernel: 3, Stride: 2},
		{Kind: arch.KindMaxPool2D, Pool: 3},
		{Kind: arch.KindFlatten},
		{Kind: arch.KindDense, Units: 12, Activation: arch.ActReLU},
		{Kind: arch.KindDropout, Rate: 0.3},
		{Kind: arch.KindDense, Units: 10, Activation: arch.ActSoftmax},
	}}
	archs := []arch.Arch{odd}
	for _, name := range arch.PresetNames() {
		a, _ := arch.Preset(name)
		archs = append(archs, a)
	}
	for _, a := range archs {
		t.Run(a.Name, func(t *testing.T) {
			last := &a.Layers[len(a.Layers)-1]
			last.L1, last.L2 = 1e-3, 1e-3
			lent, err := Build(a, cifar, 6, WithSeed(4))
			if err != nil {
				t.Fatal(err)
			}
			owned, err := Build(a, cifar, 6, WithSeed(4))
			if err != nil {
				t.Fatal(err)
			}
			owned.arena = nil
			r := rand.New(rand.NewPCG(5, 6))
			for step, n := range []int{6, 4, 6, 4, 6} {
				x := make([]float32, n*cifar.Size())
				for i := range x {
					x[i] = r.Float32()
				}
				y := make([]uint8, n)
				for i := range y {
					y[i] = uint8(r.IntN(10))
				}
				l1, a1, err := lent.TrainStep(x, y)
				if err != nil {
					t.Fatal(err)
				}
				l2, a2, err := owned.TrainStep(x, y)
				if err != nil {
					t.Fatal(err)
				}
				if math.Float64bits(l1) != math.Float64bits(l2) || a1 != a2 {
					t.Fatalf("step %d (batch %d): loss %v, accuracy %v; want %v, %v", step+1, n, l1, a1, l2, a2)
				}
				for i, p := range lent.Params() {
					want := owned.Params()[i].Float32s()
					for j, v := range p.Float32s() {
						if math.Float32bits(v) != math.Float32bits(want[j]) {
							t.Fatalf("step %d (batch %d): %s[%d] = %v; want %v", step+1, n, p.Name, j, v, want[j])
						}
					}
				}
				poison(lent)
			}
			// The arena holds less than the batch-6 machine's values
			// alone (the outputs inside a chain op included): the two
			// machines share it and values share slabs.
			ownedBytes := 0
			for _, nd := range owned.train[6].g.AllNodes() {
				if d, ok := nd.Value().(*tensor.Dense); ok && d != nil && nd.Op() != nil {
					ownedBytes += int(d.MemSize())
				}
				if c, ok := nd.Op().(*ops.Conv2DChainOp); ok {
					outs := c.Outputs()
					for _, d := range outs[:len(outs)-1] {
						ownedBytes += int(d.MemSize())
					}
				}
			}
			if got := lent.arena.Bytes(); got == 0 || got >= ownedBytes {
				t.Errorf("arena holds %d bytes; want more than 0 and less than the %d the batch-6 machine owns unshared", got, ownedBytes)
			}
		})
	}
}
