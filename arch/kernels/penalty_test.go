package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPenaltyGradByHand checks values worked by hand with a = 0.5 and
// b = 0.1: TensorFlow's sign(0) = 0, so a zero weight (either zero) gets
// no L1 gradient; 2 gets 0.5 + 0.2 and −3 gets −0.5 − 0.3; nine values
// so that the avx512 path does eight and the loop one.
func TestPenaltyGradByHand(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	w := []float32{0, 2, -3, negZero, 2, 2, 2, 2, -3}
	want := []float64{0, 0.7, -0.8, 0, 0.7, 0.7, 0.7, 0.7, -0.8}
	withKernels(t, func(t *testing.T) {
		dw := make([]float32, len(w))
		PenaltyGrad(w, dw, 0.5, 0.1)
		for i := range want {
			if got := float64(dw[i]); math.Abs(got-want[i]) > 1e-7 {
				t.Errorf("dw[%d] = %g, want %g", i, got, want[i])
			}
		}
	})
	dw64 := make([]float64, 3)
	PenaltyGrad([]float64{0, 2, -3}, dw64, 0.5, 0.1)
	for i, v := range []float64{0, 0.5 + 0.2, -0.5 - 0.3} {
		if math.Abs(dw64[i]-v) > 1e-15 {
			t.Errorf("float64 dw[%d] = %g, want %g", i, dw64[i], v)
		}
	}
}

// TestPenaltyGradSameBitsAsLoop checks every path against the loop, bit
// for bit, on random weights with zeros, infinities and NaN among them,
// L1 alone and with L2, at lengths with and without a tail.
func TestPenaltyGradSameBitsAsLoop(t *testing.T) {
	withKernels(t, func(t *testing.T) {
		for _, n := range []int{1, 8, 15, 1000} {
			r := rand.New(rand.NewPCG(uint64(n), 9))
			w := randSlice32(r, n)
			for i := 0; i < n; i += 7 {
				w[i] = []float32{0, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), float32(math.Copysign(0, -1))}[i%5]
			}
			for _, ab := range [][2]float64{{1e-4, 0}, {0.01, 0.002}} {
				want, got := make([]float32, n), make([]float32, n)
				penaltyGradLoop(w, want, ab[0], ab[1])
				PenaltyGrad(w, got, ab[0], ab[1])
				sameBits(t, "dw", got, want)
			}
		}
	})
}

func BenchmarkPenaltyGrad(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	w := randSlice32(r, 2048*10) // the strided preset's dense weights
	dw := make([]float32, len(w))
	for _, p := range Paths() {
		b.Run(p, func(b *testing.B) {
			withPath(b, p)
			for b.Loop() {
				PenaltyGrad(w, dw, 1e-4, 0)
			}
		})
	}
}
