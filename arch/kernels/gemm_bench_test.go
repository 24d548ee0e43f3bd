package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkGEMM measures the matrix product alone on the shapes the study's
// layers produce (m × n × k per image).
func BenchmarkGEMM(b *testing.B) {
	for _, s := range [][3]int{{16, 1024, 27}, {16, 256, 144}, {32, 256, 144}, {32, 64, 288}, {144, 256, 16}, {144, 16, 1024}} {
		m, n, k := s[0], s[1], s[2]
		r := rand.New(rand.NewPCG(1, 1))
		// A's rows are strided as the layers' scratch matrices are (padLd):
		// at a power-of-two stride its rows share L1 cache sets.
		lda := padLd(k)
		a, bb, c := randSlice32(r, m*lda), randSlice32(r, k*n), make([]float32, m*n)
		for _, path := range Paths() {
			b.Run(fmt.Sprintf("%dx%dx%d/%s", m, n, k, path), func(b *testing.B) {
				withPath(b, path)
				c0 := threadSeconds()
				for b.Loop() {
					gemm(m, n, k, a, lda, bb, n, c, n, nil, 0)
				}
				b.ReportMetric(float64(2*m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				if cpu := threadSeconds() - c0; cpu > 0 {
					b.ReportMetric(float64(2*m*n*k)*float64(b.N)/cpu/1e9, "threadGFLOP/s")
				}
			})
		}
	}
}
