package net

import (
	"encoding/binary"
	"math"
	"math/bits"
	"math/rand/v2"

	"gorgonia.org/tensor"

	"convlab/arch/kernels"
)

// fillMask draws an inverted-dropout mask: 0 with probability rate,
// 1/(1-rate) otherwise. Each value compares a uniform 24-bit fraction
// u/2^24 with the rate (kept when u/2^24 >= rate, as TensorFlow keeps
// values whose uniform draw is at least the rate); one 64-bit draw serves
// two values.
func (m *Model) fillMask(t *tensor.Dense, rate float64) {
	keep := 1 / (1 - rate)
	thr := uint64(math.Ceil(rate * (1 << 24)))
	workers := m.opsCfg.Threads()
	switch t.Dtype() {
	case tensor.Float32:
		fillMaskParallel(m.pcg, t.Float32s(), thr, float32(keep), workers)
	case tensor.Float64:
		fillMaskParallel(m.pcg, t.Float64s(), thr, keep, workers)
	}
}

// parallelMaskMin is the smallest mask drawn in parts: below it, handing
// parts to other threads costs more than the draws.
const parallelMaskMin = 1 << 14

// fillMaskParallel is fillMask with the draws cut into one contiguous
// part a worker, each part drawn from its own generator set to the state
// src reaches at the part's first draw: the mask, and src's state after
// it, are fillMask's, bit for bit. The mask is drawn between the parallel
// calls of a training step, one thread working and the others waiting:
// 0.7 ms of a 20 ms strided step on one thread.
func fillMaskParallel[T float32 | float64](src *rand.PCG, d []T, thr uint64, keep T, workers int) {
	if len(d) < parallelMaskMin || workers == 1 {
		fillMask(src, d, thr, keep)
		return
	}
	draws := (len(d) + 1) / 2
	start := pcgState(src)
	kernels.Parallel(draws, workers, func(lo, hi int) {
		s := pcgAdvance(start, uint64(lo))
		fillMask(rand.NewPCG(s.hi, s.lo), d[2*lo:min(2*hi, len(d))], thr, keep)
	})
	end := pcgAdvance(start, uint64(draws))
	src.Seed(end.hi, end.lo)
}

// u128 is a PCG state, an unsigned 128-bit number.
type u128 struct{ hi, lo uint64 }

func (a u128) mul(b u128) u128 {
	hi, lo := bits.Mul64(a.lo, b.lo)
	return u128{hi + a.hi*b.lo + a.lo*b.hi, lo}
}

func (a u128) add(b u128) u128 {
	lo, c := bits.Add64(a.lo, b.lo, 0)
	hi, _ := bits.Add64(a.hi, b.hi, c)
	return u128{hi, lo}
}

// math/rand/v2's PCG steps its state s to s·pcgMul + pcgInc (mod 2¹²⁸)
// before each draw; TestPCGAdvanceMatchesTheDraws checks these against it.
var (
	pcgMul = u128{2549297995355413924, 4865540595714422341}
	pcgInc = u128{6364136223846793005, 1442695040888963407}
)

// pcgState is src's 128-bit state, read through its binary encoding
// ("pcg:", then the high and low halves, big-endian).
func pcgState(src *rand.PCG) u128 {
	var buf [20]byte
	b, _ := src.AppendBinary(buf[:0])
	return u128{binary.BigEndian.Uint64(b[4:]), binary.BigEndian.Uint64(b[12:])}
}

// pcgAdvance is state s after n steps, in O(log n) (Brown, "Random number
// generation with arbitrary strides", 1994): the n-fold step is itself an
// affine map s·M + A, composed from the step's powers of two.
func pcgAdvance(s u128, n uint64) u128 {
	accMul, accAdd := u128{0, 1}, u128{}
	curMul, curAdd := pcgMul, pcgInc
	for ; n > 0; n >>= 1 {
		if n&1 != 0 {
			accMul = accMul.mul(curMul)
			accAdd = accAdd.mul(curMul).add(curAdd)
		}
		curAdd = curMul.add(u128{0, 1}).mul(curAdd)
		curMul = curMul.mul(curMul)
	}
	return s.mul(accMul).add(accAdd)
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
