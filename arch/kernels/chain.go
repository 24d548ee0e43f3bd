package kernels

import (
	"sync"
)

// A chain is a run of convolutions with fused ReLUs, each reading the
// one before's output, the first's input needing no gradient (a net's
// leading convolutions). Run one call a layer, each layer streams the
// batch through memory: its output is written, then read back by the
// next layer's forward pass; in the backward pass each layer writes its
// input gradient, and the layer below reads it back with its output. For
// strided's first layer that is 8 MB a batch each time, read at the
// memory's speed. A chain runs the layers image by image instead: an
// image's output of one layer is read by the next while it is in the
// core's cache, and its input gradients are made, used and dropped an
// image at a time, never written to memory at all. One parallel call
// replaces one a layer, so the workers also wait for each other once
// instead of at the end of every layer.
//
// Each image goes through the same kernels as in the separate calls, and
// the filter gradients are summed over the same chunks in the same
// order, so the values are the separate calls', bit for bit.

// chainFits reports whether each geometry of gs is a convolution of the
// one before's output, all of one batch.
func chainFits(gs []ConvGeom) bool {
	for i := 1; i < len(gs); i++ {
		a, b := gs[i-1], gs[i]
		if a.N != b.N || a.F != b.C || a.OH != b.H || a.OW != b.W {
			return false
		}
	}
	return len(gs) > 0
}

// chainFast reports whether a chain of gs goes to the float32 kernels.
func chainFast[T Float](gs []ConvGeom, x []T) bool {
	_, ok := as32(x)
	if !ok || forceRef || !chainFits(gs) {
		return false
	}
	for _, g := range gs {
		if !g.geomOK() {
			return false
		}
	}
	return len(x) >= gs[0].InSize()
}

// Conv2DChainForward sets ys[i] = relu(conv(in_i, ws[i]) + bs[i]) for
// each layer i of the chain gs, in_0 = x and in_i = ys[i-1], as a
// Conv2DForward call per layer would; gs[0].Workers bounds the
// goroutines.
func Conv2DChainForward[T Float](gs []ConvGeom, x []T, ws, bs, ys [][]T) {
	if chainFast(gs, x) && chainSizes(gs, ws, bs, ys, 0) {
		c := getConvChain(len(gs))
		x32, _ := as32(x)
		for i, g := range gs {
			in := x32
			if i > 0 {
				in = c.ys[i-1]
			}
			c.ys[i], _ = as32(ys[i])
			w, _ := as32(ws[i])
			b, _ := as32(bs[i])
			g.Workers = gs[0].Workers
			c.jobs[i] = newForwardJob(g, in, w, b, c.ys[i], true)
		}
		c.run()
		return
	}
	for i, g := range gs {
		in := x
		if i > 0 {
			in = ys[i-1]
		}
		Conv2DForward(g, in, ws[i], bs[i], ys[i], true)
	}
}

// Conv2DChainBackward sets the filter and bias gradients dws[i] and
// dbs[i] of every layer of a chain, given x, the chain's outputs ys, its
// filters ws (ws[0], the first's, is not read) and dy, the gradient with
// respect to the last output: as a Conv2DBackwardReLU call per layer from
// the last down to the second, each into an input gradient for the
// layer below, then Conv2DBackwardFilterReLU for the first would, bit
// for bit, with none of those input gradients in memory.
func Conv2DChainBackward[T Float](gs []ConvGeom, x []T, ys, ws [][]T, dy []T, dws, dbs [][]T) {
	k := len(gs)
	if chainFast(gs, x) && chainSizes(gs, ws, dbs, ys, 1) && chainSizes(gs, dws, dbs, ys, 0) && len(dy) >= gs[k-1].OutSize() {
		c := getConvChain(k)
		x32, _ := as32(x)
		for i, g := range gs {
			g.Workers = gs[0].Workers
			kind := jobBack
			if i == 0 {
				kind = jobBackFilter
			}
			j := getConvJob(kind, g)
			j.x = x32
			if i > 0 {
				j.x = c.ys[i-1]
				j.w, _ = as32(ws[i])
				j.dataWeights(j.w)
			}
			c.ys[i], _ = as32(ys[i])
			j.y = c.ys[i]
			c.jobs[i] = j
		}
		c.jobs[k-1].dy, _ = as32(dy)
		c.run()
		for i := k - 1; i >= 0; i-- {
			dw, _ := as32(dws[i])
			db, _ := as32(dbs[i])
			c.jobs[i].sumFilterChunks(dw, db)
		}
		c.put()
		return
	}
	for i := k - 1; i >= 0; i-- {
		if i == 0 {
			Conv2DBackwardFilterReLU(gs[0], x, ys[0], dy, dws[0], dbs[0])
			break
		}
		dx := make([]T, gs[i].InSize())
		Conv2DBackwardReLU(gs[i], ys[i-1], ws[i], ys[i], dy, dx, dws[i], dbs[i])
		dy = dx
	}
}

// chainSizes reports whether ws (from layer from on), bs and ys hold a
// chain's filters, biases and outputs, or their gradients.
func chainSizes[T Float](gs []ConvGeom, ws, bs, ys [][]T, from int) bool {
	if len(ws) < len(gs) || len(bs) < len(gs) || len(ys) < len(gs) {
		return false
	}
	for i, g := range gs {
		if i >= from && len(ws[i]) < g.WeightSize() || len(bs[i]) < g.F || len(ys[i]) < g.OutSize() {
			return false
		}
	}
	return true
}

// convChain is one parallel call of a chain: its layers' jobs, whose
// chunks it takes, the same images of every layer at once.
type convChain struct {
	jobs []*convJob
	ys   [][]float32 // each layer's output
	wg   sync.WaitGroup
}

var convChains = sync.Pool{New: func() any { return new(convChain) }}

func getConvChain(k int) *convChain {
	c := convChains.Get().(*convChain)
	for len(c.jobs) < k {
		c.jobs = append(c.jobs, nil)
		c.ys = append(c.ys, nil)
	}
	c.jobs, c.ys = c.jobs[:k], c.ys[:k]
	return c
}

// run runs the chain's parts; a forward chain is then put back.
func (c *convChain) run() {
	runParallel(c, c.jobs[0].parts, &c.wg)
	if c.jobs[0].kind == jobForward {
		c.put()
	}
}

func (c *convChain) put() {
	for i, j := range c.jobs {
		putConvJob(j)
		c.jobs[i], c.ys[i] = nil, nil
	}
	convChains.Put(c)
}

// runPart takes the first layer's chunks until none is left and runs
// each image through every layer: forward, first to last; backward,
// last to second, each layer's two gradients (its input gradient into
// the part's one-image buffer, the layer below's output gradient), then
// the first's filter gradient. The jobs have the same images and chunks
// (one batch, one worker count), so each layer's chunk sums are those of
// its own call.
func (c *convChain) runPart(p int) {
	first := c.jobs[0]
	for _, j := range c.jobs {
		s := j.setupPart(p)
		if j.kind == jobBack {
			s.dxn = grow(s.dxn, j.g.C*j.g.H*j.g.W)
		}
	}
	for {
		ch := int(first.next.Add(1)) - 1
		if ch >= first.chunks {
			return
		}
		lo, hi := split(first.g.N, first.chunks, ch)
		if first.kind == jobForward {
			for n := lo; n < hi; n++ {
				for _, j := range c.jobs {
					j.forwardImages(p, n, n+1)
				}
			}
			continue
		}
		for _, j := range c.jobs {
			j.clearChunk(ch)
		}
		last := c.jobs[len(c.jobs)-1]
		for n := lo; n < hi; n++ {
			out := last.g.F * last.g.OH * last.g.OW
			dy := last.dy[n*out : (n+1)*out]
			for i := len(c.jobs) - 1; i >= 0; i-- {
				j := c.jobs[i]
				s := &j.scr[p]
				out := j.g.F * j.g.OH * j.g.OW
				dz := reluDz(s, j.y[n*out:(n+1)*out], dy)
				j.backImage(s, ch, n, dz, s.dxn)
				dy = s.dxn
			}
		}
	}
}
