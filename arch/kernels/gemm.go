package kernels

// Micro-kernel flags.
const (
	kAccum = 1 // start from C instead of the bias or zero
	kReLU  = 2 // clamp the result at zero
)

// kcBlock is the depth of one pass over B: kcBlock rows of a 16-wide B
// panel (16 KiB) stay in the L1 cache while every row block of A uses them.
const kcBlock = 256

// kern4x16Go is the portable micro-kernel: the same contract as the
// assembly sgemm4x16.
func kern4x16Go(mb, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, bias []float32, flags int) {
	for blk := 0; blk < mb; blk++ {
		var bi []float32
		if bias != nil {
			bi = bias[4*blk:]
		}
		kern4x16Block(k, a[4*blk*lda:], lda, b, ldb, c[4*blk*ldc:], ldc, bi, flags)
	}
}

func kern4x16Block(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, bias []float32, flags int) {
	var acc [4][16]float32
	for r := 0; r < 4; r++ {
		switch {
		case flags&kAccum != 0:
			copy(acc[r][:], c[r*ldc:r*ldc+16])
		case bias != nil:
			for j := range acc[r] {
				acc[r][j] = bias[r]
			}
		}
	}
	for p := 0; p < k; p++ {
		brow := b[p*ldb : p*ldb+16]
		for r := 0; r < 4; r++ {
			av := a[r*lda+p]
			row := &acc[r]
			for j, bv := range brow {
				row[j] += av * bv
			}
		}
	}
	storeTile(&acc, c, ldc, flags)
}

// gemm sets C (m×n, row stride ldc) = init + A (m×k, lda) · B (k×n, ldb),
// where init is C (kAccum), the per-row bias, or zero; kReLU clamps the
// result. m must be a multiple of 4 and n of 16: callers pad their
// scratch buffers so that every tile is full.
func gemm(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, bias []float32, flags int) {
	if k == 0 {
		return
	}
	for k0 := 0; k0 < k; k0 += kcBlock {
		kc := min(kcBlock, k-k0)
		fl, bi := blockFlags(flags, k0, kc, k, bias, m)
		switch {
		case useAVX512:
			panelZ(m, n, kc, a[k0:], lda, b[k0*ldb:], ldb, nil, c, ldc, bi, fl)
		case useAVX:
			panelY(m, n, kc, a[k0:], lda, b[k0*ldb:], ldb, nil, c, ldc, bi, fl)
		default:
			for j := 0; j < n; j += 16 {
				kern4x16(m/4, kc, a[k0:], lda, b[k0*ldb+j:], ldb, c[j:], ldc, bi, fl)
			}
		}
	}
}

// panelZ is one k-block of gemm (boff nil) or gemmIB (B's rows at
// b[boff[p]:]) on the AVX-512 kernels: 32-column strips, then a 16-column
// one; 8-row blocks (16-row ones first in a direct 16-column strip, see
// sgemm16x16z), then the AVX2 kernel for the last 4 rows when m is not a
// multiple of 8.
func panelZ(m, n, k int, a []float32, lda int, b []float32, ldb int, boff []int, c []float32, ldc int, bias []float32, flags int) {
	m8 := m &^ 7
	var tailBias []float32
	if bias != nil {
		tailBias = bias[m8:]
	}
	for j := 0; j < n; {
		w := 16
		if n-j >= 32 {
			w = 32
		}
		m16 := 0
		if w == 16 && boff == nil {
			m16 = m &^ 15
			kern16z(m16, k, a, lda, b[j:], ldb, c[j:], ldc, bias, flags)
		}
		if m16 < m8 {
			var bias8 []float32
			if bias != nil {
				bias8 = bias[m16:]
			}
			kern8z(w, m8-m16, k, a[m16*lda:], lda, b[j:], ldb, boff, c[m16*ldc+j:], ldc, bias8, flags)
		}
		if m8 < m {
			for jj := j; jj < j+w; jj += 16 {
				if boff == nil {
					kern4x16(1, k, a[m8*lda:], lda, b[jj:], ldb, c[m8*ldc+jj:], ldc, tailBias, flags)
				} else {
					kern4x16ib(1, k, a[m8*lda:], lda, b[jj:], boff, c[m8*ldc+jj:], ldc, tailBias, flags)
				}
			}
		}
		j += w
	}
}

// panelY is one k-block of gemm (boff nil) or gemmIB (B's rows at
// b[boff[p]:]) on the avx2 kernels. 6-row blocks (sgemm6x16, 12
// accumulators) take, per 16-column strip, the rows they can while
// leaving a multiple of 4, an even number of them; the 4-row blocks left
// over run along pairs of 24-column strips (sgemm4x24, 12 accumulators
// too) and the 16 or 32 columns those leave (sgemm4x16, 8).
func panelY(m, n, k int, a []float32, lda int, b []float32, ldb int, boff []int, c []float32, ldc int, bias []float32, flags int) {
	m6 := m / 12 * 12
	for j := 0; j < n; j += 16 {
		kern6x16(m6/6, k, a, lda, b[j:], ldb, boff, c[j:], ldc, bias, flags)
	}
	if m6 == m {
		return
	}
	a, c = a[m6*lda:], c[m6*ldc:]
	if bias != nil {
		bias = bias[m6:]
	}
	mb := (m - m6) / 4
	n24 := n / 48 * 48
	for j := 0; j < n24; j += 24 {
		kern4x24(mb, k, a, lda, b[j:], ldb, boff, c[j:], ldc, bias, flags)
	}
	for j := n24; j < n; j += 16 {
		if boff == nil {
			kern4x16(mb, k, a, lda, b[j:], ldb, c[j:], ldc, bias, flags)
		} else {
			kern4x16ib(mb, k, a, lda, b[j:], boff, c[j:], ldc, bias, flags)
		}
	}
}

// blockFlags gives the flags and bias of the k-block k0..k0+kc of a
// product over k: every block but the first accumulates into C, only the
// first adds the bias, and only the last applies ReLU.
func blockFlags(flags, k0, kc, k int, bias []float32, m int) (int, []float32) {
	if k0 > 0 {
		flags |= kAccum
	}
	if k0+kc < k {
		flags &^= kReLU
	}
	if bias == nil || flags&kAccum != 0 {
		return flags, nil
	}
	return flags, bias[:m]
}

// sum32 adds up s with 32 independent partial sums over its whole blocks
// of 32, folded into eight, then the rest of its blocks of 8 and its tail
// into those eight: the adds pipeline instead of waiting on one another
// (with eight, one vector of sums, each add waits on the one before). The
// AVX paths add the blocks of 32 as four vectors of sums (sum32x), the
// same adds in the same order: every path gives the same sum, bit for bit.
func sum32(s []float32) float32 {
	var a [32]float32
	i := sum32x(s, &a)
	for ; i+32 <= len(s); i += 32 {
		v := s[i : i+32 : i+32]
		for k := range a {
			a[k] += v[k]
		}
	}
	var b [8]float32
	for k := range b {
		b[k] = (a[k] + a[k+8]) + (a[k+16] + a[k+24])
	}
	for ; i+8 <= len(s); i += 8 {
		v := s[i : i+8 : i+8]
		for k := range b {
			b[k] += v[k]
		}
	}
	for ; i < len(s); i++ {
		b[i%8] += s[i]
	}
	return ((b[0] + b[4]) + (b[1] + b[5])) + ((b[2] + b[6]) + (b[3] + b[7]))
}

func transpose8Go(src []float32, lds int, dst []float32, ldd int, nb int) {
	for b := 0; b < nb; b++ {
		for i := 0; i < 8; i++ {
			row := src[i*lds+8*b : i*lds+8*b+8]
			for j, v := range row {
				dst[(8*b+j)*ldd+i] = v
			}
		}
	}
}

// transposeInto sets dst[q·ldd + f] = src[f·lds + q] for f < nf, q < nq.
func transposeInto(src []float32, lds, nf, nq int, dst []float32, ldd int) {
	f8, q8 := nf&^7, nq&^7
	for f := 0; f < f8; f += 8 {
		transpose8(src[f*lds:], lds, dst[f:], ldd, q8/8)
	}
	for f := 0; f < nf; f++ {
		q0 := q8
		if f >= f8 {
			q0 = 0
		}
		row := src[f*lds : f*lds+nq]
		for q := q0; q < nq; q++ {
			dst[q*ldd+f] = row[q]
		}
	}
}
