package net

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"convlab/arch"
)

// BenchmarkTrainStep is one Adam step of the strided preset on a batch of
// 128 CIFAR-sized images.
func BenchmarkTrainStep(b *testing.B) {
	a, _ := arch.Preset("strided")
	m, err := Build(a.WithL1(1e-4), cifar, 128, WithThreads(runtime.GOMAXPROCS(0)))
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	r := rand.New(rand.NewPCG(1, 1))
	x, y := randImages(r, 128, cifar), randLabels(r, 128, 10)
	if _, _, err := m.TrainStep(x, y); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, _, err := m.TrainStep(x, y); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(128*b.N)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkInference is inference of 128 CIFAR-sized images per preset,
// by the kernel-level path (lean) and by a gorgonia graph (graph, what
// inference ran on before), side by side: run with -count to alternate
// them on a shared machine.
func BenchmarkInference(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	x := randImages(r, 128, cifar)
	for _, name := range arch.PresetNames() {
		a, _ := arch.Preset(name)
		m, err := Build(a, cifar, 128, WithThreads(runtime.GOMAXPROCS(0)))
		if err != nil {
			b.Fatal(err)
		}
		mc, err := m.build(128, false)
		if err != nil {
			b.Fatal(err)
		}
		store(mc.x, x)
		run := map[string]func() error{
			"lean": func() error {
				return m.forEachChunk(128, m.copyFrom(x), func(int, int, []float64) {})
			},
			"graph": func() error {
				mc.vm.Reset()
				return mc.vm.RunAll()
			},
		}
		for _, impl := range []string{"graph", "lean"} {
			b.Run(name+"/"+impl, func(b *testing.B) {
				for b.Loop() {
					if err := run[impl](); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(128*b.N)/b.Elapsed().Seconds(), "img/s")
			})
		}
		mc.close()
		m.Close()
	}
}
