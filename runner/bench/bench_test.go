package bench

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"convlab/arch"
	"convlab/arch/net"
)

// benchSteps times step as one sub-benchmark per preset and thread count
// (preset/threads=N), on a model of that preset (l1 1e-4, batch 128) and a
// batch of 128 random CIFAR-sized images and labels. One untimed step
// first builds the model's machine.
func benchSteps(b *testing.B, step func(m *net.Model, x []float32, y []uint8) error) {
	const batch = 128
	in := arch.Shape{C: 3, H: 32, W: 32}
	for _, name := range arch.PresetNames() {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", name, threads), func(b *testing.B) {
				a, err := arch.Preset(name)
				if err != nil {
					b.Fatal(err)
				}
				m, err := net.Build(a.WithL1(1e-4), in, batch, net.WithThreads(threads))
				if err != nil {
					b.Fatal(err)
				}
				defer m.Close()
				r := rand.New(rand.NewPCG(1, 2))
				x := make([]float32, batch*in.Size())
				for i := range x {
					x[i] = r.Float32()
				}
				y := make([]uint8, batch)
				for i := range y {
					y[i] = uint8(i % 10)
				}
				if err := step(m, x, y); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if err := step(m, x, y); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(batch*float64(b.N)/b.Elapsed().Seconds(), "img/s")
			})
		}
	}
}

// BenchmarkTrainStep is one training step per preset and thread count, for
// profiling (go test -bench TrainStep -cpuprofile).
func BenchmarkTrainStep(b *testing.B) {
	benchSteps(b, func(m *net.Model, x []float32, y []uint8) error {
		_, _, err := m.TrainStep(x, y)
		return err
	})
}

// BenchmarkPredict is inference per preset and thread count, for
// profiling (go test -bench Predict -cpuprofile).
func BenchmarkPredict(b *testing.B) {
	benchSteps(b, func(m *net.Model, x []float32, y []uint8) error {
		_, err := m.Predict(x, len(y))
		return err
	})
}
