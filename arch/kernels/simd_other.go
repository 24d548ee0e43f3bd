//go:build !amd64 || purego

package kernels

var useAVX = false

func kern4x16(mb, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, bias []float32, flags int) {
	kern4x16Go(mb, k, a, lda, b, ldb, c, ldc, bias, flags)
}

func reluGrad32(out, dOut, dz []float32) { reluGradGo(out, dOut[:len(out)], dz[:len(out)]) }

func add32(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] += v
	}
}

func deinterleave2(src, even, odd []float32) {
	n := len(even)
	src, odd = src[:2*n], odd[:n]
	for t := range even {
		even[t], odd[t] = src[2*t], src[2*t+1]
	}
}

func interleave2(dst, even, odd []float32) {
	n := len(even)
	dst, odd = dst[:2*n], odd[:n]
	for t := range even {
		dst[2*t], dst[2*t+1] = even[t], odd[t]
	}
}

func transpose8(src []float32, lds int, dst []float32, ldd int, nb int) {
	transpose8Go(src, lds, dst, ldd, nb)
}

func kern4x16ib(mb, k int, a []float32, lda int, b []float32, boff []int, c []float32, ldc int, bias []float32, flags int) {
	kern4x16ibGo(mb, k, a, lda, b, boff, c, ldc, bias, flags)
}

func kern4x16ia(mb, k int, a []float32, aoff []int, b []float32, ldb int, c []float32, ldc int, flags int) {
	kern4x16iaGo(mb, k, a, aoff, b, ldb, c, ldc, flags)
}

func maxPool2Row(r0, r1, out []float32) { maxPool2RowGo(r0, r1, out) }
