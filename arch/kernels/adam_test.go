package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAdamFirstStep checks Adam's first step by hand: from zero moments
// with a bias-corrected rate lr = 0.001·sqrt(1−0.999)/(1−0.9), a gradient
// g moves its weight by lr·0.1g/(sqrt(0.001g²)+ε), about 0.001·sign(g)
// (Adam's first step is the learning rate), and a zero gradient not at all.
func TestAdamFirstStep(t *testing.T) {
	withKernels(t, func(t *testing.T) {
		lr := 0.001 * math.Sqrt(1-0.999) / (1 - 0.9)
		g := []float32{0.5, -2, 0, 0.5, 0.5, 0.5, 0.5, 0.5, 4}
		w := make([]float32, len(g))
		m, v := make([]float64, len(g)), make([]float64, len(g))
		Adam(w, g, m, v, 0.9, 0.999, 1e-7, lr)
		for j, gj := range g {
			want := 0.0
			if gj != 0 {
				gf := float64(gj)
				want = -lr * 0.1 * gf / (math.Sqrt(0.001*gf*gf) + 1e-7)
			}
			if math.Abs(float64(w[j])-want) > 1e-9 {
				t.Errorf("w[%d] = %g, want %g", j, w[j], want)
			}
			if gj != 0 && math.Abs(math.Abs(float64(w[j]))-0.001) > 1e-6 {
				t.Errorf("w[%d] = %g, want a step of about 0.001", j, w[j])
			}
			if m[j] != 0.1*float64(gj) && math.Abs(m[j]-0.1*float64(gj)) > 1e-15 {
				t.Errorf("m[%d] = %g, want %g", j, m[j], 0.1*float64(gj))
			}
		}
	})
}

// TestAdamSameBitsAsLoop checks that every path's update is the scalar
// loop's bit for bit, over many steps, at lengths with and without a tail
// of fewer than eight values.
func TestAdamSameBitsAsLoop(t *testing.T) {
	withKernels(t, func(t *testing.T) {
		for _, n := range []int{1, 7, 8, 9, 16, 37, 1000} {
			r := rand.New(rand.NewPCG(uint64(n), 5))
			w0 := randSlice32(r, n)
			w1 := append([]float32(nil), w0...)
			m0, v0 := make([]float64, n), make([]float64, n)
			m1, v1 := make([]float64, n), make([]float64, n)
			for step := 1; step <= 20; step++ {
				g := randSlice32(r, n)
				for j := range g {
					g[j] *= float32(math.Pow(10, float64(r.IntN(9)-6)))
				}
				lr := 0.001 * math.Sqrt(1-math.Pow(0.999, float64(step))) / (1 - math.Pow(0.9, float64(step)))
				adamLoop(w0, g, m0, v0, 0.9, 0.999, 1e-7, lr)
				Adam(w1, g, m1, v1, 0.9, 0.999, 1e-7, lr)
			}
			sameBits(t, "w", w1, w0)
			for j := range m0 {
				if math.Float64bits(m1[j]) != math.Float64bits(m0[j]) || math.Float64bits(v1[j]) != math.Float64bits(v0[j]) {
					t.Fatalf("n %d: moments %d = %g, %g, want %g, %g", n, j, m1[j], v1[j], m0[j], v0[j])
				}
			}
		}
	})
}

func BenchmarkAdam(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	const n = 37146 // the strided preset's parameters
	w, g := randSlice32(r, n), randSlice32(r, n)
	m, v := make([]float64, n), make([]float64, n)
	for _, p := range Paths() {
		b.Run(p, func(b *testing.B) {
			withPath(b, p)
			for b.Loop() {
				Adam(w, g, m, v, 0.9, 0.999, 1e-7, 1e-3)
			}
		})
	}
}
