//go:build !purego

package kernels

//go:noescape
func adam32Z(w, grad *float32, m, v *float64, n int, b1, c1, b2, c2, eps, lr float64)

//go:noescape
func penaltyGrad32Z(w, dw *float32, n int, a, b float64)

//go:noescape
func adam32Y(w, grad *float32, m, v *float64, n int, b1, c1, b2, c2, eps, lr float64)

//go:noescape
func penaltyGrad32Y(w, dw *float32, n int, a, b float64)
