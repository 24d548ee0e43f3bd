package kernels

// add32Go, deinterleave2Go and interleave2Go are add32, deinterleave2 and
// interleave2 in plain Go: the whole call where there is no assembly, the
// tail past the last whole 8 values where there is.

func add32Go(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] += v
	}
}

func deinterleave2Go(src, even, odd []float32) {
	n := len(even)
	src, odd = src[:2*n], odd[:n]
	for t := range even {
		even[t], odd[t] = src[2*t], src[2*t+1]
	}
}

func interleave2Go(dst, even, odd []float32) {
	n := len(even)
	dst, odd = dst[:2*n], odd[:n]
	for t := range even {
		dst[2*t], dst[2*t+1] = even[t], odd[t]
	}
}
