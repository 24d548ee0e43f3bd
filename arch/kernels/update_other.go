//go:build !amd64 || purego

package kernels

func adam32Z(w, grad *float32, m, v *float64, n int, b1, c1, b2, c2, eps, lr float64) {
	panic("kernels: no AVX-512 kernels in this build")
}

func penaltyGrad32Z(w, dw *float32, n int, a, b float64) {
	panic("kernels: no AVX-512 kernels in this build")
}

func adam32Y(w, grad *float32, m, v *float64, n int, b1, c1, b2, c2, eps, lr float64) {
	panic("kernels: no AVX2 kernels in this build")
}

func penaltyGrad32Y(w, dw *float32, n int, a, b float64) {
	panic("kernels: no AVX2 kernels in this build")
}
