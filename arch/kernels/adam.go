package kernels

import "math"

// Adam applies one Adam update to the weights w from their gradients g,
// with the moments m and v kept in float64 (Keras' form, see arch/net's
// Adam): for every j,
//
//	m[j] ← b1·m[j] + (1−b1)·g[j]
//	v[j] ← b2·v[j] + (1−b2)·g[j]·g[j]
//	w[j] ← w[j] − lr·m[j] / (sqrt(v[j]) + eps)
//
// each product, sum, square root and quotient rounded to float64 on its
// own, in that order, and w[j] rounded to T at the end. For float32 the
// avx512 path does eight at a time and the avx2 path four with the same
// roundings, so every path gives the same bits. It panics if the slices differ in length.
func Adam[T Float](w, g []T, m, v []float64, b1, b2, eps, lr float64) {
	n := len(g)
	if len(w) != n || len(m) != n || len(v) != n {
		panic("kernels: Adam: weights, gradients and moments differ in length")
	}
	done := 0
	w32, ok := as32(w)
	g32, _ := as32(g)
	switch n8, n4 := n&^7, n&^3; {
	case !ok || forceRef:
	case useAVX512 && n8 > 0:
		adam32Z(&w32[0], &g32[0], &m[0], &v[0], n8, b1, 1-b1, b2, 1-b2, eps, lr)
		done = n8
	case useAVX && n4 > 0:
		adam32Y(&w32[0], &g32[0], &m[0], &v[0], n4, b1, 1-b1, b2, 1-b2, eps, lr)
		done = n4
	}
	adamLoop(w[done:], g[done:], m[done:], v[done:], b1, b2, eps, lr)
}

func adamLoop[T Float](w, g []T, m, v []float64, b1, b2, eps, lr float64) {
	for j, gj := range g {
		gf := float64(gj)
		m[j] = b1*m[j] + (1-b1)*gf
		v[j] = b2*v[j] + (1-b2)*gf*gf
		w[j] = T(float64(w[j]) - lr*m[j]/(math.Sqrt(v[j])+eps))
	}
}
