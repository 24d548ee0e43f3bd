package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestMul(t *testing.T) {
	withKernels(t, func(t *testing.T) {
		for _, n := range []int{0, 1, 31, 32, 33, 1000, 2 * minElemsPerPart, 2*minElemsPerPart + 37} {
			r := rand.New(rand.NewPCG(uint64(n), 2))
			a := randSlice32(r, n)
			// A dropout mask: 0 or 2, with a NaN and an infinity in a to show
			// that the product is IEEE's, not a select.
			b := make([]float32, n)
			for i := range b {
				if r.IntN(2) == 1 {
					b[i] = 2
				}
			}
			if n > 2 {
				a[1], a[2] = float32(math.Inf(1)), float32(math.NaN())
				b[1], b[2] = 0, 2
			}
			for _, workers := range []int{0, 1, 3} {
				out := randSlice32(r, n)
				Mul(a, b, out, workers)
				for i := range a {
					want := a[i] * b[i]
					if math.Float32bits(out[i]) != math.Float32bits(want) && !(want != want && out[i] != out[i]) {
						t.Fatalf("n=%d workers=%d: out[%d] = %g; want %g·%g = %g", n, workers, i, out[i], a[i], b[i], want)
					}
				}
				if n > 2 && (!math.IsNaN(float64(out[1])) || !math.IsNaN(float64(out[2]))) {
					t.Fatalf("n=%d: inf·0 = %g and NaN·2 = %g; want NaN, NaN", n, out[1], out[2])
				}
			}
		}
	})
	// float64 goes through the plain loop.
	out := make([]float64, 3)
	Mul([]float64{1.5, -2, 3}, []float64{2, 0, 0.5}, out, 2)
	if out[0] != 3 || out[1] != 0 || !math.Signbit(out[1]) || out[2] != 1.5 {
		t.Errorf("float64 Mul = %v; want [3 -0 1.5]", out)
	}
}
