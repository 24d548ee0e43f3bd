//go:build !linux

package kernels

func threadSeconds() float64 { return 0 }
