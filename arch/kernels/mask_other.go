//go:build !amd64 || purego

package kernels

func mul32(a, b, out []float32) { refMul(a, b, out) }
