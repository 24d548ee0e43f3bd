//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// What the CPU (and the OS, for the zmm state) supports.
var (
	hasAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	hasAVX512 = hasAVX2 && cpu.X86.HasAVX512F
)

// useAVX selects the AVX2/FMA assembly kernels and useAVX512 the AVX-512
// GEMM micro-kernels; both follow the kernel path (see SetPath). The
// pure-Go kernels run where neither is set.
var useAVX, useAVX512 bool

//go:noescape
func sgemm8x32z(mb, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, bias *float32, flags int)

//go:noescape
func sgemm8x16z(mb, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, bias *float32, flags int)

//go:noescape
func sgemm16x16z(mb, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, bias *float32, flags int)

// kern16z computes m16/16 row blocks of 16×16 on zmm registers: see
// sgemm16x16z. m16 is a multiple of 16.
func kern16z(m16, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, bias []float32, flags int) {
	if m16 <= 0 || k <= 0 {
		return
	}
	// Bounds checks standing in for the assembly's reads and writes.
	_ = a[(m16-1)*lda+k-1]
	_ = b[(k-1)*ldb+15]
	_ = c[(m16-1)*ldc+15]
	var bp *float32
	if bias != nil {
		_ = bias[m16-1]
		bp = &bias[0]
	}
	sgemm16x16z(m16/16, k, &a[0], lda, &b[0], ldb, &c[0], ldc, bp, flags)
}

//go:noescape
func sgemm8x32zib(mb, k int, a *float32, lda int, b *float32, boff *int, c *float32, ldc int, bias *float32, flags int)

//go:noescape
func sgemm8x16zib(mb, k int, a *float32, lda int, b *float32, boff *int, c *float32, ldc int, bias *float32, flags int)

// kern8z computes m8/8 row blocks of 8×w (w = 32 or 16) on zmm registers:
// see sgemm8x32z. m8 is a multiple of 8. With boff set, B's rows are at
// b[boff[p]:] (see sgemm8x32zib), and the caller has checked that every
// row's w values lie inside b.
func kern8z(w, m8, k int, a []float32, lda int, b []float32, ldb int, boff []int, c []float32, ldc int, bias []float32, flags int) {
	if m8 <= 0 || k <= 0 {
		return
	}
	// Bounds checks standing in for the assembly's reads and writes.
	_ = a[(m8-1)*lda+k-1]
	_ = c[(m8-1)*ldc+w-1]
	var bp *float32
	if bias != nil {
		_ = bias[m8-1]
		bp = &bias[0]
	}
	switch {
	case boff != nil:
		_, _ = boff[k-1], b[w-1]
		if w == 32 {
			sgemm8x32zib(m8/8, k, &a[0], lda, &b[0], &boff[0], &c[0], ldc, bp, flags)
		} else {
			sgemm8x16zib(m8/8, k, &a[0], lda, &b[0], &boff[0], &c[0], ldc, bp, flags)
		}
	case w == 32:
		_ = b[(k-1)*ldb+w-1]
		sgemm8x32z(m8/8, k, &a[0], lda, &b[0], ldb, &c[0], ldc, bp, flags)
	default:
		_ = b[(k-1)*ldb+w-1]
		sgemm8x16z(m8/8, k, &a[0], lda, &b[0], ldb, &c[0], ldc, bp, flags)
	}
}

//go:noescape
func sgemm6x16(mb, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, bias *float32, flags int)

//go:noescape
func sgemm6x16ib(mb, k int, a *float32, lda int, b *float32, boff *int, c *float32, ldc int, bias *float32, flags int)

// kern6x16 computes mb row blocks of 6×16 on the AVX2 path: see
// sgemm6x16. With boff set, B's rows are at b[boff[p]:] (see
// sgemm6x16ib), and the caller has checked that every row's 16 values
// lie inside b.
func kern6x16(mb, k int, a []float32, lda int, b []float32, ldb int, boff []int, c []float32, ldc int, bias []float32, flags int) {
	if mb <= 0 || k <= 0 {
		return
	}
	// Bounds checks standing in for the assembly's reads and writes.
	_ = a[(6*mb-1)*lda+k-1]
	_ = c[(6*mb-1)*ldc+15]
	var bp *float32
	if bias != nil {
		_ = bias[6*mb-1]
		bp = &bias[0]
	}
	if boff != nil {
		_, _ = boff[k-1], b[15]
		sgemm6x16ib(mb, k, &a[0], lda, &b[0], &boff[0], &c[0], ldc, bp, flags)
		return
	}
	_ = b[(k-1)*ldb+15]
	sgemm6x16(mb, k, &a[0], lda, &b[0], ldb, &c[0], ldc, bp, flags)
}

//go:noescape
func sgemm4x24(mb, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, bias *float32, flags int)

//go:noescape
func sgemm4x24ib(mb, k int, a *float32, lda int, b *float32, boff *int, c *float32, ldc int, bias *float32, flags int)

// kern4x24 computes mb row blocks of 4×24 on the avx2 path: see
// sgemm4x24, and sgemm4x24ib with boff set (B's rows at b[boff[p]:], each
// row's 24 values checked by the caller to lie inside b).
func kern4x24(mb, k int, a []float32, lda int, b []float32, ldb int, boff []int, c []float32, ldc int, bias []float32, flags int) {
	if mb <= 0 || k <= 0 {
		return
	}
	_ = a[(4*mb-1)*lda+k-1]
	_ = c[(4*mb-1)*ldc+23]
	var bp *float32
	if bias != nil {
		_ = bias[4*mb-1]
		bp = &bias[0]
	}
	if boff != nil {
		_, _ = boff[k-1], b[23]
		sgemm4x24ib(mb, k, &a[0], lda, &b[0], &boff[0], &c[0], ldc, bp, flags)
		return
	}
	_ = b[(k-1)*ldb+23]
	sgemm4x24(mb, k, &a[0], lda, &b[0], ldb, &c[0], ldc, bp, flags)
}

//go:noescape
func sgemm4x16(mb, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, bias *float32, flags int)

// kern4x16 computes mb row blocks of 4×16: see sgemm4x16.
func kern4x16(mb, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, bias []float32, flags int) {
	if mb <= 0 || k <= 0 {
		return
	}
	if !useAVX {
		kern4x16Go(mb, k, a, lda, b, ldb, c, ldc, bias, flags)
		return
	}
	// Bounds checks standing in for the assembly's reads and writes.
	_ = a[(4*mb-1)*lda+k-1]
	_ = b[(k-1)*ldb+15]
	_ = c[(4*mb-1)*ldc+15]
	var bp *float32
	if bias != nil {
		_ = bias[4*mb-1]
		bp = &bias[0]
	}
	sgemm4x16(mb, k, &a[0], lda, &b[0], ldb, &c[0], ldc, bp, flags)
}

//go:noescape
func reluGradAVX(out, dOut, dz *float32, n int)

//go:noescape
func addAVX(dst, src *float32, n int)

func reluGrad32(out, dOut, dz []float32) {
	n := len(out)
	dOut, dz = dOut[:n], dz[:n]
	done := 0
	if useAVX && n >= 8 {
		reluGradAVX(&out[0], &dOut[0], &dz[0], n)
		done = n &^ 7
	}
	refReLUGrad(out[done:], dOut[done:], dz[done:])
}

func add32(dst, src []float32) {
	n := len(src)
	dst = dst[:n]
	done := 0
	if useAVX && n >= 8 {
		addAVX(&dst[0], &src[0], n)
		done = n &^ 7
	}
	add32Go(dst[done:], src[done:])
}

//go:noescape
func deinterleave2AVX(src, even, odd *float32, n int)

//go:noescape
func interleave2AVX(dst, even, odd *float32, n int)

// deinterleave2 sets even[t] = src[2t] and odd[t] = src[2t+1] for
// t < len(even).
func deinterleave2(src, even, odd []float32) {
	n := len(even)
	src, odd = src[:2*n], odd[:n]
	done := 0
	if useAVX && n >= 8 {
		deinterleave2AVX(&src[0], &even[0], &odd[0], n)
		done = n &^ 7
	}
	deinterleave2Go(src[2*done:], even[done:], odd[done:])
}

// interleave2 sets dst[2t] = even[t] and dst[2t+1] = odd[t] for
// t < len(even).
func interleave2(dst, even, odd []float32) {
	n := len(even)
	dst, odd = dst[:2*n], odd[:n]
	done := 0
	if useAVX && n >= 8 {
		interleave2AVX(&dst[0], &even[0], &odd[0], n)
		done = n &^ 7
	}
	interleave2Go(dst[2*done:], even[done:], odd[done:])
}

//go:noescape
func transpose8AVX(src *float32, lds int, dst *float32, ldd int, nb int)

// transpose8 transposes nb 8×8 blocks: dst[(8b+j)·ldd + i] =
// src[i·lds + 8b+j] for b < nb and i, j < 8.
func transpose8(src []float32, lds int, dst []float32, ldd int, nb int) {
	if nb <= 0 {
		return
	}
	_ = src[7*lds+8*nb-1]
	_ = dst[(8*nb-1)*ldd+7]
	if useAVX {
		transpose8AVX(&src[0], lds, &dst[0], ldd, nb)
		return
	}
	transpose8Go(src, lds, dst, ldd, nb)
}

//go:noescape
func sgemm4x16ib(mb, k int, a *float32, lda int, b *float32, boff *int, c *float32, ldc int, bias *float32, flags int)

// kern4x16ib is kern4x16 with B's rows at b[boff[p]:]; the caller has
// checked that every row's 16 values lie inside b.
func kern4x16ib(mb, k int, a []float32, lda int, b []float32, boff []int, c []float32, ldc int, bias []float32, flags int) {
	if mb <= 0 || k <= 0 {
		return
	}
	if !useAVX {
		kern4x16ibGo(mb, k, a, lda, b, boff, c, ldc, bias, flags)
		return
	}
	_ = a[(4*mb-1)*lda+k-1]
	_ = boff[k-1]
	_ = c[(4*mb-1)*ldc+15]
	var bp *float32
	if bias != nil {
		_ = bias[4*mb-1]
		bp = &bias[0]
	}
	sgemm4x16ib(mb, k, &a[0], lda, &b[0], &boff[0], &c[0], ldc, bp, flags)
}

//go:noescape
func maxPool2AVX(r0, r1, out *float32, n int)

// maxPool2Row sets out[t] to the maximum of the 2×2 window at columns
// 2t, 2t+1 of rows r0 and r1, for t < len(out).
func maxPool2Row(r0, r1, out []float32) {
	n := len(out)
	r0, r1 = r0[:2*n], r1[:2*n]
	done := 0
	if useAVX && n >= 8 {
		maxPool2AVX(&r0[0], &r1[0], &out[0], n)
		done = n &^ 7
	}
	maxPool2RowGo(r0[2*done:], r1[2*done:], out[done:])
}

//go:noescape
func fmaProbeZ(n int)

//go:noescape
func fmaProbeY(n int)

// fmaProbe runs n rounds of the FMA probe on the widest vectors the CPU
// has; probeFLOPPerRound is what one round computes.
func fmaProbe(n int) {
	switch {
	case hasAVX512:
		fmaProbeZ(n)
	case hasAVX2:
		fmaProbeY(n)
	default:
		fmaProbeGo(n)
	}
}

func probeFLOPPerRound() float64 {
	switch {
	case hasAVX512:
		return 16 * 16 * 2
	case hasAVX2:
		return 14 * 8 * 2
	}
	return probeGoFLOPPerRound
}

//go:noescape
func maxPool2BwdZ(r0, r1, m, grad, d0, d1 *float32, n int)

//go:noescape
func maxPool2BwdAVX(r0, r1, m, grad, d0, d1 *float32, n int)

// maxPool2BwdRow routes the gradient of n = len(m) 2×2 windows, the
// columns 2t, 2t+1 of rows r0 and r1: g[t] to the first position holding
// m[t], in d0 or d1; it writes all of d0[:2n] and d1[:2n]. It reports
// false, doing nothing, on the go path.
func maxPool2BwdRow(r0, r1, m, g, d0, d1 []float32) bool {
	n := len(m)
	if !useAVX || n == 0 {
		return false
	}
	_, _, _, _, _ = r0[2*n-1], r1[2*n-1], g[n-1], d0[2*n-1], d1[2*n-1]
	if useAVX512 {
		maxPool2BwdZ(&r0[0], &r1[0], &m[0], &g[0], &d0[0], &d1[0], n)
		return true
	}
	done := n &^ 7
	if done > 0 {
		maxPool2BwdAVX(&r0[0], &r1[0], &m[0], &g[0], &d0[0], &d1[0], done)
	}
	maxPool2BwdWindows(r0[2*done:], r1[2*done:], m[done:], g[done:], d0[2*done:], d1[2*done:])
	return true
}

//go:noescape
func polyphase2PlaneAVX(src, d00, d01, d10, d11 *float32, hq, wq int)

// polyphase2Plane splits the 2hq×2wq plane src into its four hq×wq
// sub-images, one after another in sub (see polyphase2PlaneAVX), in one
// call instead of one per row; it reports false, doing nothing, unless
// wq is a multiple of 8 and the AVX2 kernels are in use.
func polyphase2Plane(src, sub []float32, hq, wq int) bool {
	n := hq * wq
	return polyphase2PlaneTo(src, sub[:n], sub[n:2*n], sub[2*n:3*n], sub[3*n:4*n], hq, wq)
}

// polyphase2PlaneTo is polyphase2Plane with the sub-images (qy, qx) at
// dqyqx, each hq·wq long.
func polyphase2PlaneTo(src, d00, d01, d10, d11 []float32, hq, wq int) bool {
	if !useAVX || hq <= 0 || wq <= 0 || wq%8 != 0 {
		return false
	}
	n := hq * wq
	_, _, _, _, _ = src[4*n-1], d00[n-1], d01[n-1], d10[n-1], d11[n-1]
	polyphase2PlaneAVX(&src[0], &d00[0], &d01[0], &d10[0], &d11[0], hq, wq)
	return true
}

//go:noescape
func unpolyphase2PlaneAVX(sub, dst *float32, hq, wq int)

// unpolyphase2Plane is polyphase2Plane's inverse: it writes the 2hq×2wq
// plane dst from its four sub-images, one after another in sub, in one
// call; it reports false, doing nothing, unless wq is a multiple of 8 and
// the AVX2 kernels are in use.
func unpolyphase2Plane(sub, dst []float32, hq, wq int) bool {
	if !useAVX || hq <= 0 || wq <= 0 || wq%8 != 0 {
		return false
	}
	_, _ = sub[4*hq*wq-1], dst[4*hq*wq-1]
	unpolyphase2PlaneAVX(&sub[0], &dst[0], hq, wq)
	return true
}

//go:noescape
func sum32AVX(s *float32, n int, acc *[32]float32)

// sum32x adds s's whole blocks of 32 into sum32's partial sums acc on the
// AVX paths and returns how many values it took (0 on the Go path).
func sum32x(s []float32, acc *[32]float32) int {
	n := len(s) &^ 31
	if !useAVX || n == 0 {
		return 0
	}
	sum32AVX(&s[0], n, acc)
	return n
}

//go:noescape
func gather16Z(src *float32, idx *int32, dst *float32, rows, np, ld int)

//go:noescape
func gather8AVX(src *float32, idx *int32, dst *float32, rows, np, ld int)

// gatherRows is im2colGather's loop on AVX-512 gathers, 16 values at a
// time, or AVX2 ones, 8: it reports false, doing nothing, on the go path
// or unless np is a multiple of 16. Every offset in idx must lie inside
// src.
func gatherRows(idx []int32, np int, src, col []float32, ld int) bool {
	rows := len(idx) / np
	if !useAVX || np%16 != 0 || rows == 0 {
		return false
	}
	_ = col[(rows-1)*ld+np-1]
	if useAVX512 {
		gather16Z(&src[0], &idx[0], &col[0], rows, np, ld)
	} else {
		gather8AVX(&src[0], &idx[0], &col[0], rows, np, ld)
	}
	return true
}

//go:noescape
func maskCopyZ(dst, src, mask *float32, n, period, planes, ldd, lds int)

//go:noescape
func maskCopyY(dst, src, mask *float32, n, period, planes, ldd, lds int)

// maskCopy sets, for planes k < planes, dst[k·ldd + i] = src[k·lds + i]
// where mask[i mod len(mask)] is all ones and 0 where it is zero (mask
// holds those two bit patterns), for i < n, in one call on the avx512
// and avx2 paths; it reports false, doing nothing, on the go path or
// unless n and len(mask) are multiples of 16.
func maskCopy(dst, src, mask []float32, n, planes, ldd, lds int) bool {
	p := len(mask)
	if !useAVX || planes <= 0 || n <= 0 || n%16 != 0 || p == 0 || p%16 != 0 {
		return false
	}
	_, _ = dst[(planes-1)*ldd+n-1], src[(planes-1)*lds+n-1]
	if useAVX512 {
		maskCopyZ(&dst[0], &src[0], &mask[0], n, p, planes, ldd, lds)
	} else {
		maskCopyY(&dst[0], &src[0], &mask[0], n, p, planes, ldd, lds)
	}
	return true
}

//go:noescape
func padRows16Z(dst, src *float32, rows, u int)

//go:noescape
func padRows16Y(dst, src *float32, rows, u int, mask *int32)

// padRows16 is padRows for rows of 16 values on the avx512 and avx2
// paths; it reports false, doing nothing, on the go path.
func padRows16(dst, src []float32, rows, u, ld int) bool {
	if !useAVX || ld != 16 || u < 1 || u > 16 || rows <= 0 {
		return false
	}
	_, _ = dst[rows*16-1], src[rows*u-1]
	if useAVX512 {
		padRows16Z(&dst[0], &src[0], rows, u)
		return true
	}
	var mask [16]int32
	for i := range u {
		mask[i] = -1
	}
	padRows16Y(&dst[0], &src[0], rows, u, &mask[0])
	return true
}
