package kernels

import (
	"sync"
	"sync/atomic"
)

// The dense layer's three products on the same blocked kernel as the
// convolutions: x is n×d, w is d×u, dz and out are n×u.
//
//	forward          out  = x · w (+ b, ReLU): row blocks of x split over workers
//	backward data    dx   = dz · wᵀ: row blocks of dz split over workers
//	backward filter  dwᵀ  = dzᵀ · x: column blocks of x split over workers
//
// u (10 classes in the study) is padded to 16 columns in scratch.

const (
	denseFwd = iota
	denseBwdData
	denseBwdFilter
)

type denseJob struct {
	kind        int
	n, d, u     int
	relu        bool
	parts       int
	blocks      int // units of work: 4-row blocks, or 16-column blocks
	x, w, b     []float32
	out, dz, dx []float32
	dw          []float32

	wpad []float32 // forward: w as d×16k; backward data: wᵀ as u×dp
	dzT  []float32 // backward filter: dzᵀ as u4×n
	dwT  []float32 // backward filter: dwᵀ as u4×dp
	xpad []float32 // backward filter: x with dp columns when d%16 != 0
	scr  [][]float32
	next atomic.Int64
	wg   sync.WaitGroup
}

var denseJobs = sync.Pool{New: func() any { return new(denseJob) }}

func denseOK(n, d, u int) bool { return n > 0 && d > 0 && u > 0 }

func newDenseJob(kind, n, d, u, blocks, workers int) *denseJob {
	j := denseJobs.Get().(*denseJob)
	j.kind, j.n, j.d, j.u, j.blocks = kind, n, d, u, blocks
	j.parts = resolveWorkers(workers, blocks)
	if n*d*u < 1<<16 { // too small to be worth a second goroutine
		j.parts = 1
	}
	for len(j.scr) < j.parts {
		j.scr = append(j.scr, nil)
	}
	j.next.Store(0)
	return j
}

func (j *denseJob) release() {
	j.x, j.w, j.b, j.out, j.dz, j.dx, j.dw = nil, nil, nil, nil, nil, nil, nil
	denseJobs.Put(j)
}

func denseForward32(x, w, b, out []float32, n, d, u int, relu bool, workers int) {
	j := newDenseJob(denseFwd, n, d, u, (n+3)/4, workers)
	j.x, j.w, j.b, j.out, j.relu = x, w, b, out, relu
	u16 := roundUp(u, 16)
	j.wpad = grow(j.wpad, d*u16)
	padRows(j.wpad, w, d, u, u16)
	runParallel(j, j.parts, &j.wg)
	j.release()
}

func denseBackData32(dz, w, dx []float32, n, d, u int, workers int) {
	j := newDenseJob(denseBwdData, n, d, u, (n+3)/4, workers)
	j.dz, j.w, j.dx = dz, w, dx
	dp := roundUp(d, 16)
	j.wpad = grow(j.wpad, u*dp)
	transposeInto(w, u, d, u, j.wpad, dp) // wpad[jj][k] = w[k][jj]
	for jj := 0; jj < u; jj++ {
		clear(j.wpad[jj*dp+d : (jj+1)*dp]) // padding columns
	}
	runParallel(j, j.parts, &j.wg)
	j.release()
}

func denseBackFilter32(x, dz, dw []float32, n, d, u int, workers int) {
	dp := roundUp(d, 16)
	j := newDenseJob(denseBwdFilter, n, d, u, dp/16, workers)
	j.x, j.dz, j.dw = x, dz, dw
	u4 := roundUp(u, 4)
	j.dzT = grow(j.dzT, u4*n)
	transposeInto(dz, u, n, u, j.dzT, n) // dzT[jj][i] = dz[i][jj]
	clear(j.dzT[u*n:])                   // padding rows
	j.dwT = grow(j.dwT, u4*dp)
	if d != dp {
		j.xpad = grow(j.xpad, n*dp)
		for i := 0; i < n; i++ {
			row := j.xpad[i*dp : (i+1)*dp]
			copy(row, x[i*d:(i+1)*d])
			clear(row[d:])
		}
	}
	runParallel(j, j.parts, &j.wg)
	// dw[k][jj] = dwT[jj][k]
	transposeInto(j.dwT, dp, u, d, dw, u)
	j.release()
}

func (j *denseJob) runPart(p int) {
	for {
		blk := int(j.next.Add(1)) - 1
		if blk >= j.blocks {
			return
		}
		switch j.kind {
		case denseFwd:
			j.forwardBlock(p, blk)
		case denseBwdData:
			j.backDataBlock(p, blk)
		case denseBwdFilter:
			j.backFilterBlock(blk)
		}
	}
}

// rows returns block blk's rows of an n×cols matrix m, copied into
// zero-padded scratch when the block runs past row n.
func rowBlock(m []float32, n, cols, blk int, scratch []float32) []float32 {
	r0 := 4 * blk
	if r0+4 <= n {
		return m[r0*cols : (r0+4)*cols]
	}
	s := scratch[:4*cols]
	clear(s)
	copy(s, m[r0*cols:n*cols])
	return s
}

func (j *denseJob) forwardBlock(p, blk int) {
	n, d, u := j.n, j.d, j.u
	u16 := roundUp(u, 16)
	s := grow(j.scr[p], 4*u16+4*d)
	j.scr[p] = s
	c, tail := s[:4*u16], s[4*u16:]
	for r := 0; r < 4; r++ {
		row := c[r*u16 : (r+1)*u16]
		copy(row, j.b[:u])
		clear(row[u:])
	}
	flags := kAccum
	if j.relu {
		flags |= kReLU
	}
	a := rowBlock(j.x, n, d, blk, tail)
	gemm(4, u16, d, a, d, j.wpad, u16, c, u16, nil, flags)
	for r := 0; r < 4 && 4*blk+r < n; r++ {
		copy(j.out[(4*blk+r)*u:(4*blk+r+1)*u], c[r*u16:])
	}
}

func (j *denseJob) backDataBlock(p, blk int) {
	n, d, u := j.n, j.d, j.u
	dp := roundUp(d, 16)
	s := grow(j.scr[p], 4*dp+4*u)
	j.scr[p] = s
	c, tail := s[:4*dp], s[4*dp:]
	a := rowBlock(j.dz, n, u, blk, tail)
	gemm(4, dp, u, a, u, j.wpad, dp, c, dp, nil, 0)
	for r := 0; r < 4 && 4*blk+r < n; r++ {
		copy(j.dx[(4*blk+r)*d:(4*blk+r+1)*d], c[r*dp:])
	}
}

func (j *denseJob) backFilterBlock(blk int) {
	n, d, u := j.n, j.d, j.u
	dp := roundUp(d, 16)
	u4 := roundUp(u, 4)
	x, ldx := j.x, d
	if d != dp {
		x, ldx = j.xpad, dp
	}
	col := 16 * blk
	gemm(u4, 16, n, j.dzT, n, x[col:], ldx, j.dwT[col:], dp, nil, 0)
}

// padRows sets dst (rows rows of ld values) to the rows of src (rows of
// u values) followed by zeros. Inference pads its dense weights once a
// group of images, so a copy call per row (2,048 rows of 10 values for
// the study's nets) cost more than the product it fed.
func padRows(dst, src []float32, rows, u, ld int) {
	if padRows16(dst, src, rows, u, ld) {
		return
	}
	for k := 0; k < rows; k++ {
		row := dst[k*ld : (k+1)*ld]
		copy(row, src[k*u:(k+1)*u])
		clear(row[u:])
	}
}
