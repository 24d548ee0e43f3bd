package kernels

import (
	"sync"
)

// A pair is two convolutions with fused ReLUs, the second reading the
// first's output, where the first's input needs no gradient (a net's
// first two layers). Run one after the other, each streams the batch
// through memory: the first's output is written, then read back by the
// second's forward pass; in the backward pass the second writes the
// first's output gradient, and the first reads it back with its output.
// For strided's first layer that is 8 MB a batch each time, read at the
// memory's speed. A pair runs both layers image by image instead: an
// image's first output is read by the second layer while it is in the
// core's cache, and its output gradient is made, used and dropped an
// image at a time, never written to memory at all.
//
// Each image goes through the same kernels as in the two separate calls,
// and the filter gradients are summed over the same chunks in the same
// order, so the values are the separate calls', bit for bit.

// pairFits reports whether g2 is a convolution of g1's output.
func pairFits(g1, g2 ConvGeom) bool {
	return g1.N == g2.N && g1.F == g2.C && g1.OH == g2.H && g1.OW == g2.W
}

// Conv2DPairForward sets y1 = relu(conv(x, w1) + b1) and y2 =
// relu(conv(y1, w2) + b2), as two Conv2DForward calls would, for g2 a
// convolution of g1's output; g1's Workers bounds the goroutines.
func Conv2DPairForward[T Float](g1, g2 ConvGeom, x, w1, b1, y1, w2, b2, y2 []T) {
	g2.Workers = g1.Workers
	if x32, ok := as32(x); ok && !forceRef && pairFits(g1, g2) && g1.geomOK() && g2.geomOK() &&
		len(x) >= g1.InSize() && len(w1) >= g1.WeightSize() && len(b1) >= g1.F && len(y1) >= g1.OutSize() &&
		len(w2) >= g2.WeightSize() && len(b2) >= g2.F && len(y2) >= g2.OutSize() {
		w132, _ := as32(w1)
		b132, _ := as32(b1)
		y132, _ := as32(y1)
		w232, _ := as32(w2)
		b232, _ := as32(b2)
		y232, _ := as32(y2)
		conv2DPairForward32(g1, g2, x32, w132, b132, y132, w232, b232, y232)
		return
	}
	Conv2DForward(g1, x, w1, b1, y1, true)
	Conv2DForward(g2, y1, w2, b2, y2, true)
}

// Conv2DPairBackward sets the filter and bias gradients of both layers of
// a pair, given x, the pair's outputs y1 and y2 and dy2, the gradient
// with respect to y2: as Conv2DBackwardReLU of the second layer, into a
// dy1 of y1's size, then Conv2DBackwardFilterReLU of the first from dy1
// would, bit for bit, with no dy1 in memory.
func Conv2DPairBackward[T Float](g1, g2 ConvGeom, x, y1, w2, y2, dy2, dw1, db1, dw2, db2 []T) {
	g2.Workers = g1.Workers
	if x32, ok := as32(x); ok && !forceRef && pairFits(g1, g2) && g1.geomOK() && g2.geomOK() &&
		len(x) >= g1.InSize() && len(y1) >= g1.OutSize() && len(w2) >= g2.WeightSize() && len(y2) >= g2.OutSize() &&
		len(dy2) >= g2.OutSize() && len(dw1) >= g1.WeightSize() && len(db1) >= g1.F &&
		len(dw2) >= g2.WeightSize() && len(db2) >= g2.F {
		y132, _ := as32(y1)
		w232, _ := as32(w2)
		y232, _ := as32(y2)
		dy232, _ := as32(dy2)
		dw132, _ := as32(dw1)
		db132, _ := as32(db1)
		dw232, _ := as32(dw2)
		db232, _ := as32(db2)
		conv2DPairBackward32(g1, g2, x32, y132, w232, y232, dy232, dw132, db132, dw232, db232)
		return
	}
	dy1 := make([]T, g1.OutSize())
	Conv2DBackwardReLU(g2, y1, w2, y2, dy2, dy1, dw2, db2)
	Conv2DBackwardFilterReLU(g1, x, y1, dy1, dw1, db1)
}

// convPair is one parallel call of a pair: its two layers' jobs, whose
// chunks it takes, the same images of both at once.
type convPair struct {
	first, second *convJob
	wg            sync.WaitGroup
}

var convPairs = sync.Pool{New: func() any { return new(convPair) }}

func conv2DPairForward32(g1, g2 ConvGeom, x, w1, b1, y1, w2, b2, y2 []float32) {
	pr := convPairs.Get().(*convPair)
	pr.first = newForwardJob(g1, x, w1, b1, y1, true)
	pr.second = newForwardJob(g2, y1, w2, b2, y2, true)
	runParallel(pr, pr.first.parts, &pr.wg)
	putConvJob(pr.first)
	putConvJob(pr.second)
	pr.first, pr.second = nil, nil
	convPairs.Put(pr)
}

func conv2DPairBackward32(g1, g2 ConvGeom, x, y1, w2, y2, dy2, dw1, db1, dw2, db2 []float32) {
	pr := convPairs.Get().(*convPair)
	a := getConvJob(jobBackFilter, g1)
	a.x, a.y = x, y1 // dy is made image by image
	b := getConvJob(jobBack, g2)
	b.x, b.w, b.y, b.dy = y1, w2, y2, dy2 // dx goes to the first's dy, image by image
	b.dataWeights(w2)
	pr.first, pr.second = a, b
	runParallel(pr, a.parts, &pr.wg)
	b.sumFilterChunks(dw2, db2)
	a.sumFilterChunks(dw1, db1)
	putConvJob(a)
	putConvJob(b)
	pr.first, pr.second = nil, nil
	convPairs.Put(pr)
}

// runPart takes the first layer's chunks until none is left and runs
// each image through both layers: forward, the first then the second;
// backward, the second's two gradients (its data gradient into the
// part's one-image dy of the first) then the first's filter gradient.
// Both jobs have the same images and chunks (one batch, one worker
// count), so each layer's chunk sums are those of its own call.
func (pr *convPair) runPart(p int) {
	a, b := pr.first, pr.second
	sa, sb := a.setupPart(p), b.setupPart(p)
	out := a.g.F * a.g.OH * a.g.OW
	if a.kind != jobForward {
		sb.pairDy = grow(sb.pairDy, out)
	}
	for {
		c := int(a.next.Add(1)) - 1
		if c >= a.chunks {
			return
		}
		lo, hi := split(a.g.N, a.chunks, c)
		if a.kind == jobForward {
			for n := lo; n < hi; n++ {
				a.forwardImages(p, n, n+1)
				b.forwardImages(p, n, n+1)
			}
			continue
		}
		a.clearChunk(c)
		b.clearChunk(c)
		for n := lo; n < hi; n++ {
			b.backImage(sb, c, n, b.imageDz(sb, n), sb.pairDy)
			a.backImage(sa, c, n, reluDz(sa, a.y[n*out:(n+1)*out], sb.pairDy), nil)
		}
	}
}
