package net

import (
	"math"
	"math/rand/v2"

	"gorgonia.org/tensor"
)

// fillMask draws an inverted-dropout mask: 0 with probability rate,
// 1/(1-rate) otherwise. Each value compares a uniform 24-bit fraction
// u/2^24 with the rate (kept when u/2^24 >= rate, as TensorFlow keeps
// values whose uniform draw is at least the rate); one 64-bit draw serves
// two values.
func (m *Model) fillMask(t *tensor.Dense, rate float64) {
	keep := 1 / (1 - rate)
	thr := uint64(math.Ceil(rate * (1 << 24)))
	switch t.Dtype() {
	case tensor.Float32:
		fillMask(m.pcg, t.Float32s(), thr, float32(keep))
	case tensor.Float64:
		fillMask(m.pcg, t.Float64s(), thr, keep)
	}
}

// fillMask has no branches on the draws: a kept value's 24-bit fraction
// minus thr does not wrap below zero, so bit 63 of the difference picks
// keep or 0. Branching on half-random draws mispredicted about every
// other value and took five times as long (BenchmarkFillMask).
func fillMask[T float32 | float64](src *rand.PCG, d []T, thr uint64, keep T) {
	pick := [2]T{keep, 0}
	i := 0
	for ; i+1 < len(d); i += 2 {
		u := src.Uint64()
		d[i] = pick[((u>>8)&(1<<24-1)-thr)>>63]
		d[i+1] = pick[(u>>40-thr)>>63]
	}
	if i < len(d) {
		u := src.Uint64()
		d[i] = pick[((u>>8)&(1<<24-1)-thr)>>63]
	}
}
