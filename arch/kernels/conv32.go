package kernels

import (
	"sync"
	"sync/atomic"
)

// The float32 convolutions lower each image to a matrix product (im2col):
// with KK = C·K·K and P = OH·OW,
//
//	forward          out[F×P]  = W[F×KK] · col[KK×P] (+ bias, ReLU fused)
//	backward data    dcol[KK×P] = Wᵀ[KK×F] · dz[F×P], then col2im into dx
//	backward filter  dWᵀ[KK×F] += col[KK×P] · dzᵀ[P×F], summed over images
//
// Where the output rows are as wide as the (polyphase) planes ('same'
// padding), each pass reads shifted plane copies instead of col (see
// shifted.go and backshift.go); the backward passes do so from 8 input
// channels up. With a fused ReLU the backward passes take its output and
// gradient and make dz image by image (jobBack runs both for each image).
//
// The batch is cut into chunks of images that the workers take in turn
// (so a worker the OS pauses delays little); each worker owns its scratch.
// The filter gradient is summed per chunk, and the chunks' sums are added
// in chunk order at the end: the result does not depend on the number of
// workers or on which worker took which chunk.

const (
	jobForward = iota
	jobBackData
	jobBackFilter
	jobBack // both gradients, from a fused ReLU's output and gradient
)

type convScratch struct {
	col, cbuf, dzT, sub, row []float32
	dzn                      []float32 // one image's dz, made from y and dy
	dxn                      []float32 // one image's input gradient, in a chain (chain.go)
	dcol, dcbuf, dsub        []float32 // the data gradient's, apart so that jobBack runs both
	src                      []float32 // one image and a zero, for the gathered im2col
}

type convJob struct {
	kind  int
	g     ConvGeom
	parts int
	relu  bool

	x, w, b, out, dz, dx, dw, db []float32
	y, dy                        []float32 // a fused ReLU's output and its gradient, in place of dz

	// Shared, prepared by the caller before the parts start.
	wpad, bpad, wT []float32
	taps           []tapPlan
	wg2            wideGeom   // layout of the padded images (forward)
	boff           []int      // tap offsets in that layout
	useWide        bool       // read taps from the padded images, not im2col
	gidx           *gatherTab // the gathered im2col's table (see gather.go)
	useGather      bool
	sg             shiftGeom   // layout of the shifted planes of x
	useShift       bool        // read taps from shifted plane copies, not im2col
	sgd            shiftGeom   // layout of the shifted planes of dz (data gradient)
	dshift         bool        // the data gradient reads shifted copies of dz, not col2im
	bph            []backPhase // the data gradient's phases (see backshift.go)

	scr []convScratch
	wg  sync.WaitGroup

	chunks   int
	next     atomic.Int64
	acc, dbs [][]float32 // per-chunk filter and bias gradient sums
}

var convJobs = sync.Pool{New: func() any { return new(convJob) }}

func getConvJob(kind int, g ConvGeom) *convJob {
	j := convJobs.Get().(*convJob)
	j.kind, j.g = kind, g
	j.parts = resolveWorkers(g.Workers, g.N)
	for len(j.scr) < j.parts {
		j.scr = append(j.scr, convScratch{})
	}
	j.taps = g.taps(j.taps)
	data := kind == jobBackData || kind == jobBack
	filter := kind == jobBackFilter || kind == jobBack
	j.useGather = kind != jobBackData && g.preferGather()
	if j.useGather {
		j.gidx = g.gatherTable()
	}
	j.useWide, j.useShift, j.dshift = false, false, false
	if kind == jobForward {
		j.wg2 = g.wide()
		j.useWide = g.preferWide(j.wg2)
		if j.useWide {
			j.boff = g.tapOffsets(j.wg2, j.boff)
		}
		j.useShift = !j.useWide && g.shiftOK() && (shiftMode == shiftAlways || !j.useGather)
		if j.useShift {
			j.boff = g.shiftLayout(&j.sg, j.boff)
		}
	}
	if filter && g.shiftOK() {
		j.useShift = shiftMode == shiftAlways || !j.useGather && g.C >= backShiftMinC
		if j.useShift {
			j.useGather = false
			j.boff = g.shiftLayout(&j.sg, j.boff)
		}
	}
	if data && g.shiftOK() && (shiftMode == shiftAlways || g.C >= backShiftMinC) {
		j.dshift = true
		j.bph = g.backLayout(&j.sgd, j.bph)
	}
	j.next.Store(0)
	// Eight chunks a worker: workers run at uneven speeds (the host's
	// other work), and the one left with the last chunk works alone.
	j.chunks = min(g.N, 8*j.parts)
	if filter {
		j.chunks = min(g.N, sumChunks)
		rows, f16 := j.accRows(), roundUp(g.F, 16)
		for len(j.acc) < j.chunks {
			j.acc = append(j.acc, nil)
			j.dbs = append(j.dbs, nil)
		}
		for c := 0; c < j.chunks; c++ {
			j.acc[c] = grow(j.acc[c], roundUp(rows, 4)*f16)
			j.dbs[c] = grow(j.dbs[c], g.F)
		}
	}
	return j
}

func putConvJob(j *convJob) {
	j.x, j.w, j.b, j.out, j.dz, j.dx, j.dw, j.db = nil, nil, nil, nil, nil, nil, nil, nil
	j.y, j.dy = nil, nil
	convJobs.Put(j)
}

// geomOK reports whether g is a geometry the fast paths handle; anything
// else goes to the reference loops.
func (g ConvGeom) geomOK() bool {
	return g.N > 0 && g.C > 0 && g.H > 0 && g.W > 0 && g.F > 0 && g.K > 0 && g.Stride > 0 &&
		g.OH > 0 && g.OW > 0 && g.PadTop >= 0 && g.PadLeft >= 0
}

func conv2DForward32(g ConvGeom, x, w, b, out []float32, relu bool) {
	j := newForwardJob(g, x, w, b, out, relu)
	runParallel(j, j.parts, &j.wg)
	putConvJob(j)
}

// newForwardJob is a forward job with its shared operands ready: the
// filters and biases padded to whole 4-row tiles.
func newForwardJob(g ConvGeom, x, w, b, out []float32, relu bool) *convJob {
	j := getConvJob(jobForward, g)
	j.x, j.w, j.b, j.out, j.relu = x, w, b, out, relu
	kk := g.C * g.K * g.K
	if g.F%4 != 0 {
		fp := roundUp(g.F, 4)
		j.wpad = grow(j.wpad, fp*kk)
		copy(j.wpad, w[:g.F*kk])
		clear(j.wpad[g.F*kk:])
		j.bpad = grow(j.bpad, fp)
		copy(j.bpad, b[:g.F])
		clear(j.bpad[g.F:])
	}
	return j
}

func conv2DBackwardData32(g ConvGeom, w, dz, dx []float32) {
	j := getConvJob(jobBackData, g)
	j.w, j.dz, j.dx = w, dz, dx
	j.dataWeights(w)
	runParallel(j, j.parts, &j.wg)
	putConvJob(j)
}

// conv2DBackwardReLU32 is both gradients of a convolution with a fused
// ReLU in one pass over the images: each image's dz, made from y and dy,
// serves both while it is in cache.
func conv2DBackwardReLU32(g ConvGeom, x, w, y, dy, dx, dw, db []float32) {
	j := getConvJob(jobBack, g)
	j.x, j.w, j.y, j.dy, j.dx, j.dw, j.db = x, w, y, dy, dx, dw, db
	j.dataWeights(w)
	runParallel(j, j.parts, &j.wg)
	j.sumFilterChunks(dw, db)
	putConvJob(j)
}

// dataWeights lays out w as the data gradient reads it: per phase (see
// backWeights) or transposed for col2im.
func (j *convJob) dataWeights(w []float32) {
	g := j.g
	if j.dshift {
		g.backWeights(j.bph, w)
		return
	}
	kk := g.C * g.K * g.K
	kkp := roundUp(kk, 4)
	j.wT = grow(j.wT, kkp*g.F)
	transposeInto(w, kk, g.F, kk, j.wT, g.F) // wT[r][f] = w[f][r]
	clear(j.wT[kk*g.F:])
}

func conv2DBackwardFilter32(g ConvGeom, x, dz, dw, db []float32) {
	j := getConvJob(jobBackFilter, g)
	j.x, j.dz, j.dw, j.db = x, dz, dw, db
	runParallel(j, j.parts, &j.wg)
	j.sumFilterChunks(dw, db)
	putConvJob(j)
}

// accRows is how many rows of F16 values the per-chunk sums of dWᵀ use
// (see accRow).
func (j *convJob) accRows() int {
	if j.useShift {
		return j.g.K * j.g.K * roundUp(j.g.C, 4)
	}
	return j.g.C * j.g.K * j.g.K
}

func conv2DBackwardFilterReLU32(g ConvGeom, x, y, dy, dw, db []float32) {
	j := getConvJob(jobBackFilter, g)
	j.x, j.y, j.dy, j.dw, j.db = x, y, dy, dw, db
	runParallel(j, j.parts, &j.wg)
	j.sumFilterChunks(dw, db)
	putConvJob(j)
}

// imageDz is image n's dz (F·OH·OW values): its part of j.dz, or made
// in s.dzn from the fused ReLU's output and gradient.
func (j *convJob) imageDz(s *convScratch, n int) []float32 {
	out := j.g.F * j.g.OH * j.g.OW
	if j.y == nil {
		return j.dz[n*out : (n+1)*out]
	}
	return reluDz(s, j.y[n*out:(n+1)*out], j.dy[n*out:(n+1)*out])
}

// reluDz makes one image's dz in s.dzn from its ReLU's output y and
// gradient dy.
func reluDz(s *convScratch, y, dy []float32) []float32 {
	s.dzn = grow(s.dzn, len(y))
	reluGrad32(y, dy, s.dzn)
	return s.dzn
}

// sumFilterChunks adds up the per-chunk sums, dWᵀ[rows×F16] and db[F], in
// chunk order into chunk 0's, and writes them to dw[F×KK] and db.
func (j *convJob) sumFilterChunks(dw, db []float32) {
	g := j.g
	kk := g.C * g.K * g.K
	f16 := roundUp(g.F, 16)
	rows := j.accRows()
	acc0, db0 := j.acc[0][:rows*f16], j.dbs[0][:g.F]
	for c := 1; c < j.chunks; c++ {
		add32(acc0, j.acc[c][:rows*f16])
		add32(db0, j.dbs[c][:g.F])
	}
	copy(db[:g.F], db0)
	if !j.useShift {
		transposeInto(acc0, f16, kk, g.F, dw[:g.F*kk], kk) // dw[f][r] = acc0[r][f]
		return
	}
	dw = dw[:g.F*kk]
	for r := 0; r < kk; r++ {
		src := acc0[j.accRow(r)*f16:][:g.F]
		for f, v := range src {
			dw[f*kk+r] = v
		}
	}
}

// runPart takes chunks until none is left. Its scratch is sized, and the
// zero margins of its plane copies written, once, before the first: the
// chunks only overwrite the copies' bodies (inference's groups of 8
// images on one worker took 8 chunks, and zeroed them 8 times).
func (j *convJob) runPart(p int) {
	s := j.setupPart(p)
	for {
		c := int(j.next.Add(1)) - 1
		if c >= j.chunks {
			return
		}
		lo, hi := split(j.g.N, j.chunks, c)
		switch j.kind {
		case jobForward:
			j.forwardImages(p, lo, hi)
		default:
			j.backward(s, c, lo, hi)
		}
	}
}

// setupPart sizes part p's scratch for the job's kind and zeroes the
// margins of its plane copies.
func (j *convJob) setupPart(p int) *convScratch {
	g := j.g
	s := &j.scr[p]
	if g.Stride > 1 {
		hq, wq := g.subSize()
		s.sub = grow(s.sub, g.C*g.Stride*g.Stride*hq*wq)
	}
	switch j.kind {
	case jobForward:
		if !j.useWide {
			j.forwardSetup(s)
		}
	default:
		if j.kind == jobBackData || j.kind == jobBack {
			j.backDataSetup(s)
		}
		if j.kind == jobBackFilter || j.kind == jobBack {
			j.backFilterSetup(s)
		}
	}
	return s
}

// forwardImages runs images lo..hi-1 forward, through the layout the job
// chose.
func (j *convJob) forwardImages(p, lo, hi int) {
	if j.useWide {
		j.forwardWide(p, lo, hi)
		return
	}
	j.forward(p, lo, hi)
}

// backward runs images lo..hi of the data gradient, the filter gradient
// or both (jobBack: each image's dz made once for the two), the filter
// gradient into chunk's sums.
func (j *convJob) backward(s *convScratch, chunk, lo, hi int) {
	j.clearChunk(chunk)
	in := j.g.C * j.g.H * j.g.W
	for n := lo; n < hi; n++ {
		var dx []float32
		if j.dx != nil {
			dx = j.dx[n*in : (n+1)*in]
		}
		j.backImage(s, chunk, n, j.imageDz(s, n), dx)
	}
}

// clearChunk zeroes chunk's filter and bias gradient sums, if the job
// has them, before its first image.
func (j *convJob) clearChunk(chunk int) {
	if j.kind == jobBackFilter || j.kind == jobBack {
		clear(j.acc[chunk])
		clear(j.dbs[chunk])
	}
}

// backImage runs image n's data gradient into dx and its filter gradient
// into chunk's sums, as the job's kind asks, from its dz.
func (j *convJob) backImage(s *convScratch, chunk, n int, dz, dx []float32) {
	if j.kind == jobBackData || j.kind == jobBack {
		j.backDataImage(s, dz, dx)
	}
	if j.kind == jobBackFilter || j.kind == jobBack {
		j.backFilterImage(s, chunk, n, dz)
	}
}

// forward runs images lo..hi-1 through the im2col layout or, with
// useShift, the shifted plane copies (see shifted.go), whose product
// reads its rows in place (gemmIB).
func (j *convJob) forward(p, lo, hi int) {
	g := j.g
	s := &j.scr[p]
	kk := g.C * g.K * g.K
	np := g.OH * g.OW
	npp := roundUp(np, 16)
	fp := roundUp(g.F, 4)
	in := g.C * g.H * g.W
	ld := padLd(npp)
	a, bias, flags := j.forwardOperands(s, np, npp, fp)
	for n := lo; n < hi; n++ {
		xn := j.x[n*in : (n+1)*in]
		dst, ldc := j.forwardDst(s, n, np, npp)
		if j.useShift {
			j.shiftImage(s, xn, s.col)
			gemmIB(fp, npp, kk, a, kk, s.col, j.boff, dst, ldc, bias, flags)
		} else {
			j.im2col(s, xn, s.col, ld)
			gemm(fp, npp, kk, a, kk, s.col, ld, dst, ldc, bias, flags)
		}
		j.forwardStore(s, n, np, npp)
	}
}

// forwardSetup sizes s.col for forward, its copies' margins zeroed.
func (j *convJob) forwardSetup(s *convScratch) {
	g := j.g
	if j.useShift {
		s.col = grow(s.col, j.sg.size)
		zeroShifted(g, &j.sg, s.col)
		return
	}
	s.col = grow(s.col, g.C*g.K*g.K*padLd(roundUp(g.OH*g.OW, 16)))
}

// forwardOperands is what both forward layouts (im2col and shifted planes)
// multiply with: the weights and biases, padded when F is not a whole
// number of 4-row tiles, and the fused-ReLU flag. When the product cannot
// land in the output directly it sizes worker scratch s for it.
func (j *convJob) forwardOperands(s *convScratch, np, npp, fp int) (a, bias []float32, flags int) {
	a, bias = j.w, j.b
	if j.g.F != fp {
		a, bias = j.wpad, j.bpad
	}
	if !j.forwardDirect(np, npp) {
		s.cbuf = grow(s.cbuf, fp*npp)
	}
	if j.relu {
		flags |= kReLU
	}
	return a, bias, flags
}

// forwardDirect reports whether image products are written straight into
// the output: no padded filter rows and no padded columns to drop.
func (j *convJob) forwardDirect(np, npp int) bool {
	return j.g.F == roundUp(j.g.F, 4) && np == npp
}

// forwardDst is where image n's product goes, with its row stride: its
// place in the output, or s.cbuf when padding has to be dropped first.
func (j *convJob) forwardDst(s *convScratch, n, np, npp int) ([]float32, int) {
	if j.forwardDirect(np, npp) {
		return j.out[n*j.g.F*np : (n+1)*j.g.F*np], np
	}
	return s.cbuf, npp
}

// forwardStore copies image n's product from s.cbuf into the output, its
// padded rows and columns left out; a direct product is already there.
func (j *convJob) forwardStore(s *convScratch, n, np, npp int) {
	if j.forwardDirect(np, npp) {
		return
	}
	out := j.out[n*j.g.F*np : (n+1)*j.g.F*np]
	for f := 0; f < j.g.F; f++ {
		copy(out[f*np:(f+1)*np], s.cbuf[f*npp:])
	}
}

// backDataSetup sizes s for backDataImage, for a run of images.
func (j *convJob) backDataSetup(s *convScratch) {
	g := j.g
	if j.dshift {
		j.backDataShiftedSetup(s)
		return
	}
	npp := roundUp(g.OH*g.OW, 16)
	ld := padLd(npp)
	s.dcol = grow(s.dcol, roundUp(g.C*g.K*g.K, 4)*ld)
	if ld != g.OH*g.OW {
		s.dcbuf = grow(s.dcbuf, g.F*ld)
	}
	if g.Stride > 1 {
		hq, wq := g.subSize()
		s.dsub = grow(s.dsub, g.C*g.Stride*g.Stride*hq*wq)
	}
}

// backDataImage writes an image's dx from its dz.
func (j *convJob) backDataImage(s *convScratch, dz, dx []float32) {
	if j.dshift {
		j.backDataShiftedImage(s, dz, dx)
		return
	}
	g := j.g
	kkp := roundUp(g.C*g.K*g.K, 4)
	np := g.OH * g.OW
	npp := roundUp(np, 16)
	ld := padLd(npp)
	// dz is B; it is copied into a padded buffer when its rows are not a
	// whole number of tiles or when their stride would make the rows of a
	// panel collide in the L1 cache.
	b, ldb := dz, np
	if ld != np {
		for f := 0; f < g.F; f++ {
			copy(s.dcbuf[f*ld:f*ld+np], dz[f*np:])
		}
		b, ldb = s.dcbuf, ld
	}
	gemm(kkp, npp, g.F, j.wT, g.F, b, ldb, s.dcol, ld, nil, 0)
	col2im(g, j.taps, s.dcol, ld, dx, s.dsub)
}

// backFilterSetup sizes s for backFilterImage, for a run of images.
func (j *convJob) backFilterSetup(s *convScratch) {
	if j.useShift {
		j.backFilterShiftedSetup(s)
		return
	}
	g := j.g
	kk := g.C * g.K * g.K
	ld := padLd(g.OH * g.OW)
	s.col = grow(s.col, roundUp(kk, 4)*ld)
	clear(s.col[kk*ld:])
	s.dzT = grow(s.dzT, g.OH*g.OW*roundUp(g.F, 16))
	clear(s.dzT)
}

// backFilterImage adds image n's filter and bias gradients, from its dz,
// to chunk's sums.
func (j *convJob) backFilterImage(s *convScratch, chunk, n int, dz []float32) {
	if j.useShift {
		j.backFilterShiftedImage(s, chunk, n, dz)
		return
	}
	g := j.g
	kkp := roundUp(g.C*g.K*g.K, 4)
	np := g.OH * g.OW
	f16 := roundUp(g.F, 16)
	in := g.C * g.H * g.W
	ld := padLd(np)
	acc, dbAcc := j.acc[chunk], j.dbs[chunk]
	j.im2col(s, j.x[n*in:(n+1)*in], s.col, ld)
	transposeInto(dz, np, g.F, np, s.dzT, f16)
	for f := 0; f < g.F; f++ {
		dbAcc[f] += sum32(dz[f*np : f*np+np])
	}
	gemm(kkp, f16, np, s.col, ld, s.dzT, f16, acc, f16, nil, kAccum)
}

// Strided convolutions work on a polyphase split of the image: for stride
// s, sub-image (qy, qx) of channel c is hq×wq with
// sub[ty][tx] = x[ty·s+qy][tx·s+qx] (0 past the image's edge). Kernel tap
// (i, j) then reads sub-image ((i−pt) mod s, (j−pl) mod s) shifted by
// (⌊(i−pt)/s⌋, ⌊(j−pl)/s⌋), a plain shifted copy as at stride 1; when the
// output is as wide as the sub-image ('same' padding) one tap's whole
// column block is a single contiguous copy.

func (g ConvGeom) subSize() (hq, wq int) {
	return (g.H + g.Stride - 1) / g.Stride, (g.W + g.Stride - 1) / g.Stride
}

// floorDivMod returns ⌊a/s⌋ and a mod s (in [0, s)) for s > 0.
func floorDivMod(a, s int) (q, r int) {
	q, r = a/s, a%s
	if r < 0 {
		q--
		r += s
	}
	return q, r
}

// polyphase splits one image xn (C×H×W) into its C·s·s sub-images.
func polyphase(g ConvGeom, xn, sub []float32) {
	s := g.Stride
	hq, wq := g.subSize()
	if s == 2 {
		polyphase2(g, xn, sub, hq, wq)
		return
	}
	for c := 0; c < g.C; c++ {
		plane := xn[c*g.H*g.W : (c+1)*g.H*g.W]
		for qy := 0; qy < s; qy++ {
			for ty := 0; ty < hq; ty++ {
				y := ty*s + qy
				for qx := 0; qx < s; qx++ {
					d := sub[(((c*s+qy)*s+qx)*hq+ty)*wq:][:wq]
					if y >= g.H {
						clear(d)
						continue
					}
					src := plane[y*g.W : y*g.W+g.W]
					n := (g.W - qx + s - 1) / s // columns qx, qx+s, ... below W
					for t := 0; t < n; t++ {
						d[t] = src[t*s+qx]
					}
					for t := n; t < wq; t++ {
						d[t] = 0
					}
				}
			}
		}
	}
}

// unpolyphase is polyphase's inverse: it writes dxn from the sub-images.
func unpolyphase(g ConvGeom, sub, dxn []float32) {
	s := g.Stride
	hq, wq := g.subSize()
	if s == 2 {
		unpolyphase2(g, sub, dxn, hq, wq)
		return
	}
	for c := 0; c < g.C; c++ {
		plane := dxn[c*g.H*g.W : (c+1)*g.H*g.W]
		for y := 0; y < g.H; y++ {
			ty, qy := y/s, y%s
			dst := plane[y*g.W : y*g.W+g.W]
			for qx := 0; qx < s; qx++ {
				src := sub[(((c*s+qy)*s+qx)*hq+ty)*wq:][:wq]
				for t := 0; t*s+qx < g.W; t++ {
					dst[t*s+qx] = src[t]
				}
			}
		}
	}
}

func polyphase2(g ConvGeom, xn, sub []float32, hq, wq int) {
	half := g.W / 2
	for c := 0; c < g.C; c++ {
		plane := xn[c*g.H*g.W : (c+1)*g.H*g.W]
		if g.H%2 == 0 && g.W%2 == 0 && polyphase2Plane(plane, sub[c*4*hq*wq:], hq, wq) {
			continue
		}
		for y := 0; y < g.H; y++ {
			ty, qy := y/2, y%2
			src := plane[y*g.W : y*g.W+g.W]
			d0 := sub[((c*2+qy)*2*hq+ty)*wq:][:wq]
			d1 := sub[(((c*2+qy)*2+1)*hq+ty)*wq:][:wq]
			deinterleave2(src, d0[:half], d1[:half])
			if g.W%2 == 1 {
				d0[half], d1[half] = src[g.W-1], 0
			}
		}
		if g.H%2 == 1 { // sub-images of odd rows have a padding row
			clear(sub[((c*2+1)*2*hq+hq-1)*wq:][:wq])
			clear(sub[(((c*2+1)*2+1)*hq+hq-1)*wq:][:wq])
		}
	}
}

func unpolyphase2(g ConvGeom, sub, dxn []float32, hq, wq int) {
	half := g.W / 2
	for c := 0; c < g.C; c++ {
		plane := dxn[c*g.H*g.W : (c+1)*g.H*g.W]
		if g.H%2 == 0 && g.W%2 == 0 && unpolyphase2Plane(sub[c*4*hq*wq:], plane, hq, wq) {
			continue
		}
		for y := 0; y < g.H; y++ {
			ty, qy := y/2, y%2
			dst := plane[y*g.W : y*g.W+g.W]
			s0 := sub[((c*2+qy)*2*hq+ty)*wq:][:wq]
			s1 := sub[(((c*2+qy)*2+1)*hq+ty)*wq:][:wq]
			interleave2(dst, s0[:half], s1[:half])
			if g.W%2 == 1 {
				dst[g.W-1] = s0[half]
			}
		}
	}
}

// tapPlan locates kernel tap (c, i, j) in the (sub-)image planes: the
// plane's offset, the shift (dy, dx) and the output rows [oy0, oy1) and
// columns [lo, hi) that read inside the plane.
type tapPlan struct {
	plane, dy, dx, oy0, oy1, lo, hi int
}

func (g ConvGeom) tap(i, j, hq, wq int) tapPlan {
	s := g.Stride
	dy, qy := floorDivMod(i-g.PadTop, s)
	dx, qx := floorDivMod(j-g.PadLeft, s)
	t := tapPlan{plane: (qy*s + qx) * hq * wq, dy: dy, dx: dx}
	t.oy0, t.oy1 = max(0, -dy), min(g.OH, hq-dy)
	t.lo, t.hi = max(0, -dx), min(g.OW, wq-dx)
	if t.oy0 >= t.oy1 || t.lo >= t.hi {
		t.oy0, t.oy1, t.lo, t.hi = 0, 0, 0, 0
	}
	return t
}

// taps plans the K·K taps of channel 0 (row-major); channel c's planes
// follow at c·s·s·hq·wq.
func (g ConvGeom) taps(buf []tapPlan) []tapPlan {
	hq, wq := g.H, g.W
	if g.Stride > 1 {
		hq, wq = g.subSize()
	}
	buf = buf[:0]
	for i := 0; i < g.K; i++ {
		for j := 0; j < g.K; j++ {
			buf = append(buf, g.tap(i, j, hq, wq))
		}
	}
	return buf
}

// im2col is im2col, or the gathered im2col where the job chose it.
func (j *convJob) im2col(s *convScratch, xn, col []float32, ld int) {
	if j.useGather {
		s.src = gatherSource(xn, s.src)
		im2colGather(j.gidx, j.g.OH*j.g.OW, s.src, col, ld)
		return
	}
	im2col(j.g, j.taps, xn, col, ld, s.sub)
}

// im2col writes the patches of one image xn (C×H×W) as rows of col: row
// (c·K+i)·K+j, column oy·OW+ox holds x[c][oy·s+i−pt][ox·s+j−pl] or 0; ld
// is col's row stride; sub is scratch for the polyphase split (stride > 1).
// Padding columns past OH·OW are left as they are.
func im2col(g ConvGeom, taps []tapPlan, xn, col []float32, ld int, sub []float32) {
	planes, hq, wq := xn, g.H, g.W
	if g.Stride > 1 {
		polyphase(g, xn, sub)
		planes = sub
		hq, wq = g.subSize()
	}
	ow := g.OW
	for c := 0; c < g.C; c++ {
		for i := 0; i < g.K; i++ {
			for jj := 0; jj < g.K; jj++ {
				row := col[((c*g.K+i)*g.K+jj)*ld:][:g.OH*ow]
				t := taps[i*g.K+jj]
				t.plane += c * g.Stride * g.Stride * hq * wq
				if t.oy0 == t.oy1 {
					clear(row)
					continue
				}
				plane := planes[t.plane : t.plane+hq*wq]
				first, last := t.oy0*ow+t.lo, (t.oy1-1)*ow+t.hi
				clear(row[:first])
				clear(row[last:])
				if ow == wq {
					src := (t.oy0+t.dy)*wq + t.lo + t.dx
					copy(row[first:last], plane[src:src+last-first])
					// The block copy wrapped row ends into the padding
					// columns: zero them.
					zeroWrapped(row, ow, t)
					continue
				}
				for oy := t.oy0; oy < t.oy1; oy++ {
					d := row[oy*ow : oy*ow+ow]
					for k := 0; k < t.lo; k++ {
						d[k] = 0
					}
					src := (oy+t.dy)*wq + t.dx
					copy(d[t.lo:t.hi], plane[src+t.lo:src+t.hi])
					for k := t.hi; k < ow; k++ {
						d[k] = 0
					}
				}
			}
		}
	}
}

// zeroWrapped zeroes, in the rows oy0..oy1-1 of an im2col row, the
// padding columns that a block copy of whole rows fills with the
// neighbouring rows' ends: columns before lo (but in the first row) and
// from hi on (but in the last row). Those of row oy's end and row oy+1's
// start are one run of ow−hi+lo values, mostly one or two: an indexed loop,
// not clear, which would call memclr for each.
func zeroWrapped(row []float32, ow int, t tapPlan) {
	gap := ow - t.hi + t.lo
	if gap == 0 || t.oy1-t.oy0 < 2 {
		return
	}
	end := (t.oy1-1)*ow + t.lo
	_ = row[end-1]
	for s := t.oy0*ow + t.hi; s < end; s += ow {
		for i := s; i < s+gap; i++ {
			row[i] = 0
		}
	}
}

// col2im sets dxn (C×H×W) to the sum of the patch gradients in col, the
// inverse scatter of im2col; it clobbers col's padding positions. sub is
// scratch for the polyphase split (stride > 1).
func col2im(g ConvGeom, taps []tapPlan, col []float32, ld int, dxn, sub []float32) {
	planes, hq, wq := dxn, g.H, g.W
	if g.Stride > 1 {
		hq, wq = g.subSize()
		planes = sub[:g.C*g.Stride*g.Stride*hq*wq]
	}
	clear(planes)
	ow := g.OW
	for c := 0; c < g.C; c++ {
		for i := 0; i < g.K; i++ {
			for jj := 0; jj < g.K; jj++ {
				t := taps[i*g.K+jj]
				t.plane += c * g.Stride * g.Stride * hq * wq
				if t.oy0 == t.oy1 {
					continue
				}
				row := col[((c*g.K+i)*g.K+jj)*ld:][:g.OH*ow]
				plane := planes[t.plane : t.plane+hq*wq]
				if ow == wq {
					first, last := t.oy0*ow+t.lo, (t.oy1-1)*ow+t.hi
					// The padding columns must not scatter into the
					// neighbouring rows' ends.
					zeroWrapped(row, ow, t)
					dst := (t.oy0+t.dy)*wq + t.lo + t.dx
					add32(plane[dst:dst+last-first], row[first:last])
					continue
				}
				for oy := t.oy0; oy < t.oy1; oy++ {
					dst := (oy+t.dy)*wq + t.dx
					add32(plane[dst+t.lo:dst+t.hi], row[oy*ow+t.lo:oy*ow+t.hi])
				}
			}
		}
	}
	if g.Stride > 1 {
		unpolyphase(g, planes, dxn)
	}
}
