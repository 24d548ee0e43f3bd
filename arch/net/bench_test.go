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
