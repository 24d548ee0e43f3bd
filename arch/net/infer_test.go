package net

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"

	"convlab/arch"
	"convlab/arch/kernels"
)

// graphLogits runs the n images x through a gorgonia inference graph of
// m (the graph inference ran on before the kernel-level path) and returns
// its logits.
func graphLogits(t *testing.T, m *Model, x []float32, n int) []float64 {
	t.Helper()
	mc, err := m.build(n, false)
	if err != nil {
		t.Fatal(err)
	}
	defer mc.close()
	store(mc.x, x)
	if err := mc.vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	out := make([]float64, n*m.classes)
	load(out, mc.logits.Value().(*tensor.Dense))
	return out
}

// leanLogits is the logits forEachChunk hands on, for the n images x.
func leanLogits(t *testing.T, m *Model, x []float32, n int) []float64 {
	t.Helper()
	out := make([]float64, n*m.classes)
	err := m.forEachChunk(n, m.copyFrom(x), func(start, count int, logits []float64) {
		copy(out[start*m.classes:], logits[:count*m.classes])
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// trained is a model of a, its weights moved off their start by two Adam
// steps (biases no longer zero, some ReLUs off).
func trained(t *testing.T, a arch.Arch, in arch.Shape, opts ...Option) *Model {
	t.Helper()
	m, err := Build(a, in, 8, append([]Option{WithSeed(3)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(9, 9))
	for range 2 {
		if _, _, err := m.TrainStep(randImages(r, 8, in), randLabels(r, 8, m.classes)); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// The kernel-level inference gives the graph's logits bit for bit, on
// every preset and kernel path, for any number of threads and for image
// counts that are not a whole number of groups or chunks.
func TestInferenceMatchesGraph(t *testing.T) {
	in := arch.Shape{C: 3, H: 32, W: 32}
	for _, path := range kernels.Paths() {
		t.Run(path, func(t *testing.T) {
			prev := kernels.Path()
			if err := kernels.SetPath(path); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = kernels.SetPath(prev) }()
			for _, name := range arch.PresetNames() {
				a, _ := arch.Preset(name)
				m := trained(t, a, in)
				defer m.Close()
				r := rand.New(rand.NewPCG(4, 4))
				for _, n := range []int{1, inferGroup + 3, 45} {
					x := randImages(r, n, in)
					want := graphLogits(t, m, x, n)
					for _, threads := range []int{1, 2, 3} {
						m.SetThreads(threads)
						got := leanLogits(t, m, x, n)
						for i := range want {
							if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
								t.Fatalf("%s, %d images, %d threads: logit %d (image %d) = %v, graph %v",
									name, n, threads, i, i/m.classes, got[i], want[i])
							}
						}
					}
				}
			}
		})
	}
}

// Chunks: more images than inferChunk give each image the logits it
// gets alone.
func TestInferenceChunks(t *testing.T) {
	in := arch.Shape{C: 1, H: 4, W: 4}
	a := arch.Arch{Name: "tiny", Layers: []arch.Layer{
		{Kind: arch.KindConv2D, Filters: 2, Kernel: 3, Stride: 1, Padding: "same", Activation: arch.ActReLU},
		{Kind: arch.KindFlatten},
		{Kind: arch.KindDense, Units: 3, Activation: arch.ActSoftmax},
	}}
	m := trained(t, a, in)
	defer m.Close()
	n := inferChunk + 5
	x := randImages(rand.New(rand.NewPCG(6, 6)), n, in)
	all := leanLogits(t, m, x, n)
	size := in.Size()
	for _, i := range []int{0, inferChunk - 1, inferChunk, n - 1} {
		one := leanLogits(t, m, x[i*size:(i+1)*size], 1)
		for j := range one {
			if one[j] != all[i*3+j] {
				t.Fatalf("image %d logit %d: %v alone, %v among %d", i, j, one[j], all[i*3+j], n)
			}
		}
	}
}

// Against the float64 reference: a float64 model (reference kernels) with
// the same weights gives the float32 logits to within float32 rounding,
// and its own kernel-level inference equals its graph's exactly.
func TestInferenceMatchesFloat64Reference(t *testing.T) {
	in := arch.Shape{C: 3, H: 32, W: 32}
	for _, name := range arch.PresetNames() {
		t.Run(name, func(t *testing.T) {
			a, _ := arch.Preset(name)
			m32 := trained(t, a, in)
			defer m32.Close()
			m64, err := Build(a, in, 8, withFloat64())
			if err != nil {
				t.Fatal(err)
			}
			defer m64.Close()
			for i, p := range m32.params {
				store(m64.params[i].value, p.Float32s())
			}
			n := 5
			x := randImages(rand.New(rand.NewPCG(7, 7)), n, in)
			got, ref := leanLogits(t, m32, x, n), leanLogits(t, m64, x, n)
			graph64 := graphLogits(t, m64, x, n)
			for i := range ref {
				if ref[i] != graph64[i] {
					t.Fatalf("float64 logit %d: kernel-level %v, graph %v", i, ref[i], graph64[i])
				}
				if d := math.Abs(got[i] - ref[i]); d > 1e-4*(1+math.Abs(ref[i])) {
					t.Errorf("logit %d: float32 %v, float64 reference %v (off by %.3g)", i, got[i], ref[i], d)
				}
			}
		})
	}
}
