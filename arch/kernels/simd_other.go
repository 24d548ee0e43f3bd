//go:build !amd64 || purego

package kernels

var useAVX, useAVX512 bool

const hasAVX2, hasAVX512 = false, false

func kern8z(w, m8, k int, a []float32, lda int, b []float32, ldb int, boff []int, c []float32, ldc int, bias []float32, flags int) {
	panic("kernels: no AVX-512 kernels in this build")
}

func kern16z(m16, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, bias []float32, flags int) {
	panic("kernels: no AVX-512 kernels in this build")
}

func kern6x16(mb, k int, a []float32, lda int, b []float32, ldb int, boff []int, c []float32, ldc int, bias []float32, flags int) {
	panic("kernels: no AVX2 kernels in this build")
}

func kern4x24(mb, k int, a []float32, lda int, b []float32, ldb int, boff []int, c []float32, ldc int, bias []float32, flags int) {
	panic("kernels: no AVX2 kernels in this build")
}

func kern4x16(mb, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, bias []float32, flags int) {
	kern4x16Go(mb, k, a, lda, b, ldb, c, ldc, bias, flags)
}

func reluGrad32(out, dOut, dz []float32) { refReLUGrad(out, dOut[:len(out)], dz[:len(out)]) }

func add32(dst, src []float32) { add32Go(dst, src) }

func deinterleave2(src, even, odd []float32) { deinterleave2Go(src, even, odd) }

func interleave2(dst, even, odd []float32) { interleave2Go(dst, even, odd) }

func transpose8(src []float32, lds int, dst []float32, ldd int, nb int) {
	transpose8Go(src, lds, dst, ldd, nb)
}

func kern4x16ib(mb, k int, a []float32, lda int, b []float32, boff []int, c []float32, ldc int, bias []float32, flags int) {
	kern4x16ibGo(mb, k, a, lda, b, boff, c, ldc, bias, flags)
}

func maxPool2Row(r0, r1, out []float32) { maxPool2RowGo(r0, r1, out) }

func fmaProbe(n int) { fmaProbeGo(n) }

func probeFLOPPerRound() float64 { return probeGoFLOPPerRound }

func maxPool2BwdRow(r0, r1, m, g, d0, d1 []float32) bool { return false }

func polyphase2Plane(src, sub []float32, hq, wq int) bool { return false }

func polyphase2PlaneTo(src, d00, d01, d10, d11 []float32, hq, wq int) bool { return false }

func unpolyphase2Plane(sub, dst []float32, hq, wq int) bool { return false }

func sum32x(s []float32, acc *[32]float32) int { return 0 }

func gatherRows(idx []int32, np int, src, col []float32, ld int) bool { return false }

func maskCopy(dst, src, mask []float32, n, planes, ldd, lds int) bool { return false }

func padRows16(dst, src []float32, rows, u, ld int) bool { return false }
