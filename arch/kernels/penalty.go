package kernels

// PenaltyGrad sets dw to the gradient of a·Σ|w| + (b/2)·Σw², the L1
// and L2 weight penalties (the caller passes b = 2·l2): for every i,
//
//	dw[i] = b·w[i] + a·sign(w[i])
//
// in float64, sign(0) = 0 (and sign(NaN) = 0, where b·w[i] is NaN
// anyway), rounded to T at the end. For float32 the avx512 path does
// eight at a time and the avx2 path four with the same roundings, so
// every path gives the same bits; a branch on each sign, as the loop has, mispredicts about every
// other weight. dw must be at least as long as w.
func PenaltyGrad[T Float](w, dw []T, a, b float64) {
	dw = dw[:len(w)]
	done := 0
	w32, ok := as32(w)
	dw32, _ := as32(dw)
	switch n8, n4 := len(w)&^7, len(w)&^3; {
	case !ok || forceRef:
	case useAVX512 && n8 > 0:
		penaltyGrad32Z(&w32[0], &dw32[0], n8, a, b)
		done = n8
	case useAVX && n4 > 0:
		penaltyGrad32Y(&w32[0], &dw32[0], n4, a, b)
		done = n4
	}
	penaltyGradLoop(w[done:], dw[done:], a, b)
}

func penaltyGradLoop[T Float](w, dw []T, a, b float64) {
	for i, v := range w {
		f := float64(v)
		d := b * f
		if f > 0 {
			d += a
		} else if f < 0 {
			d -= a
		}
		dw[i] = T(d)
	}
}
