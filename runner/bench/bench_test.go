package bench

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"convlab/arch"
	"convlab/arch/net"
)

// BenchmarkTrainStep is one training step at batch 128 per preset, for
// profiling (go test -bench TrainStep -cpuprofile).
func BenchmarkTrainStep(b *testing.B) {
	for _, name := range arch.PresetNames() {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", name, threads), func(b *testing.B) {
				a, err := arch.Preset(name)
				if err != nil {
					b.Fatal(err)
				}
				m, err := net.Build(a.WithL1(1e-4), arch.Shape{C: 3, H: 32, W: 32}, 128, net.WithThreads(threads))
				if err != nil {
					b.Fatal(err)
				}
				defer m.Close()
				r := rand.New(rand.NewPCG(1, 2))
				x := make([]float32, 128*3*32*32)
				for i := range x {
					x[i] = r.Float32()
				}
				y := make([]uint8, 128)
				for i := range y {
					y[i] = uint8(i % 10)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, _, err := m.TrainStep(x, y); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(128*float64(b.N)/b.Elapsed().Seconds(), "img/s")
			})
		}
	}
}
