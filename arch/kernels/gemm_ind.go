package kernels

// Indirect matrix product: B's rows are given as offsets into a buffer
// instead of a fixed stride, so that a convolution can read kernel taps
// straight from the (padded) image instead of from an im2col copy.

func kern4x16ibGo(mb, k int, a []float32, lda int, b []float32, boff []int, c []float32, ldc int, bias []float32, flags int) {
	var acc [4][16]float32
	for blk := 0; blk < mb; blk++ {
		ab, cb := a[4*blk*lda:], c[4*blk*ldc:]
		for r := 0; r < 4; r++ {
			switch {
			case flags&kAccum != 0:
				copy(acc[r][:], cb[r*ldc:r*ldc+16])
			case bias != nil:
				for j := range acc[r] {
					acc[r][j] = bias[4*blk+r]
				}
			default:
				acc[r] = [16]float32{}
			}
		}
		for p := 0; p < k; p++ {
			brow := b[boff[p] : boff[p]+16]
			for r := 0; r < 4; r++ {
				av := ab[r*lda+p]
				row := &acc[r]
				for j, bv := range brow {
					row[j] += av * bv
				}
			}
		}
		storeTile(&acc, cb, ldc, flags)
	}
}

func storeTile(acc *[4][16]float32, c []float32, ldc, flags int) {
	for r := 0; r < 4; r++ {
		dst := c[r*ldc : r*ldc+16]
		for j, v := range acc[r] {
			if flags&kReLU != 0 && v < 0 {
				v = 0
			}
			dst[j] = v
		}
	}
}

// offsetsFit reports whether every offs[i] ≥ 0 and offs[i]+span ≤ n.
func offsetsFit(offs []int, span, n int) bool {
	for _, o := range offs {
		if o < 0 || o+span > n {
			return false
		}
	}
	return true
}

// gemmIB sets C (m×n, ldc) = init + A (m×k, lda) · B, where row p of B is
// b[boff[p]:]; m must be a multiple of 4 and n of 16. It panics, before
// touching memory, if a row of B would reach outside b.
func gemmIB(m, n, k int, a []float32, lda int, b []float32, boff []int, c []float32, ldc int, bias []float32, flags int) {
	if k == 0 {
		return
	}
	if !offsetsFit(boff[:k], n, len(b)) {
		panic("kernels: indirect B row outside its buffer")
	}
	for k0 := 0; k0 < k; k0 += kcBlock {
		kc := min(kcBlock, k-k0)
		fl, bi := blockFlags(flags, k0, kc, k, bias, m)
		switch {
		case useAVX512:
			panelZ(m, n, kc, a[k0:], lda, b, 0, boff[k0:k0+kc], c, ldc, bi, fl)
		case useAVX:
			panelY(m, n, kc, a[k0:], lda, b, 0, boff[k0:k0+kc], c, ldc, bi, fl)
		default:
			for j := 0; j < n; j += 16 {
				kern4x16ib(m/4, kc, a[k0:], lda, b[j:], boff[k0:k0+kc], c[j:], ldc, bi, fl)
			}
		}
	}
}
