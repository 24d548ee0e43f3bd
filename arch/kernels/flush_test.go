package kernels

import "testing"

// tinyVar is 1e-20 in a variable, so that the compiler cannot fold its
// square to a constant.
var tinyVar = float32(1e-20)

// The AVX matrix products flush subnormal inputs and results to zero (see
// flush_amd64.h), as TensorFlow does; the Go path keeps them. Either way
// the caller's floating-point state is as it was: Go arithmetic after a
// product still makes subnormals.
func TestProductsFlushSubnormals(t *testing.T) {
	const (
		sub  = float32(1e-39) // subnormal: below 2^-126 ≈ 1.18e-38
		tiny = float32(1e-20) // normal, but tiny·tiny = 1e-40 is subnormal
	)
	cases := []struct {
		name          string
		a, b          float32
		flushed, kept float32
	}{
		{"subnormal input", sub, 1, 0, sub},
		{"subnormal product", tiny, tiny, 0, tiny * tiny},
		{"normal", 2, 3, 6, 6},
	}
	withKernels(t, func(t *testing.T) {
		for _, c := range cases {
			// A product over k = 1 whose 48 columns and 28 rows reach
			// every micro-kernel, direct and through row offsets: on
			// AVX-512 the 8×32 and 8×16 tiles, the 16×16 one (direct 16-
			// column strips of 16 rows) and the 4×16 AVX2 tail.
			const m, n = 28, 48
			a := make([]float32, m)
			for i := range a {
				a[i] = c.a
			}
			b := make([]float32, n)
			for i := range b {
				b[i] = c.b
			}
			want := c.kept
			if Path() != PathGo {
				want = c.flushed
			}
			direct, indirect := make([]float32, m*n), make([]float32, m*n)
			gemm(m, n, 1, a, 1, b, n, direct, n, nil, 0)
			gemmIB(m, n, 1, a, 1, b, []int{0}, indirect, n, nil, 0)
			for i := range direct {
				if direct[i] != want || indirect[i] != want {
					t.Fatalf("%s: C[%d] = %g direct, %g indirect; want %g", c.name, i, direct[i], indirect[i], want)
				}
			}
		}
		if y := tinyVar * tinyVar; y == 0 {
			t.Fatal("Go arithmetic flushes a subnormal after a product: the product did not restore the MXCSR")
		}
	})
}
