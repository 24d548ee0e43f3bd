//go:build !purego

package kernels

//go:noescape
func mulAVX(a, b, out *float32, n int)

func mul32(a, b, out []float32) {
	n := len(a)
	b, out = b[:n], out[:n]
	done := 0
	if useAVX && n >= 32 {
		mulAVX(&a[0], &b[0], &out[0], n)
		done = n &^ 31
	}
	refMul(a[done:], b[done:], out[done:])
}
