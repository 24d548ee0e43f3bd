package bench

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"convlab/arch"
	"convlab/arch/net"
)

// BenchmarkPredict is inference on a batch of 128 per preset, for
// profiling (go test -bench Predict -cpuprofile).
func BenchmarkPredict(b *testing.B) {
	for _, name := range arch.PresetNames() {
		b.Run(fmt.Sprintf("%s/threads=2", name), func(b *testing.B) {
			a, err := arch.Preset(name)
			if err != nil {
				b.Fatal(err)
			}
			m, err := net.Build(a.WithL1(1e-4), arch.Shape{C: 3, H: 32, W: 32}, 128, net.WithThreads(2))
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			r := rand.New(rand.NewPCG(1, 2))
			x := make([]float32, 128*3*32*32)
			for i := range x {
				x[i] = r.Float32()
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Predict(x, 128); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(128*float64(b.N)/b.Elapsed().Seconds(), "img/s")
		})
	}
}
