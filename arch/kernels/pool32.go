package kernels

import (
	"sync"
	"sync/atomic"
)

// elemJob is a parallel float32 pooling or ReLU-gradient call.
type elemJob struct {
	kind  int
	pg    PoolGeom
	parts int
	n     int // items to split: planes or elements

	x, out, dOut, dx []float32
	c, inner         int
	partial          [][]float32 // per-chunk bias sums
	chunks           int
	next             atomic.Int64
	wg               sync.WaitGroup
}

const (
	elemPoolFwd = iota
	elemPoolBwd
	elemReLUGrad
	elemBiasGrad
)

var elemJobs = sync.Pool{New: func() any { return new(elemJob) }}

// Below these sizes a call runs on one goroutine: handing work to another
// costs more than it saves.
const (
	minPlanesPerPart = 8
	minElemsPerPart  = 1 << 14
)

func (g PoolGeom) geomOK() bool {
	return g.N > 0 && g.C > 0 && g.P > 0 && g.H >= g.P && g.W >= g.P &&
		g.OH > 0 && g.OW > 0 && g.OH*g.P <= g.H && g.OW*g.P <= g.W
}

func maxPool32(g PoolGeom, x, out, dOut, dst []float32, backward bool) {
	j := elemJobs.Get().(*elemJob)
	j.pg, j.n = g, g.N*g.C
	j.x, j.out, j.dOut = x, out, dOut
	if backward {
		j.kind, j.dx = elemPoolBwd, dst
	} else {
		j.kind, j.out = elemPoolFwd, dst
	}
	j.parts = resolveWorkers(g.Workers, j.n/minPlanesPerPart)
	runParallel(j, j.parts, &j.wg)
	j.x, j.out, j.dOut, j.dx = nil, nil, nil, nil
	elemJobs.Put(j)
}

func reluGradParallel(out, dOut, dz []float32, workers int) {
	if len(out) < 2*minElemsPerPart {
		reluGrad32(out, dOut, dz)
		return
	}
	j := elemJobs.Get().(*elemJob)
	j.kind, j.n = elemReLUGrad, len(out)
	j.out, j.dOut, j.dx = out, dOut, dz
	j.parts = resolveWorkers(workers, j.n/minElemsPerPart)
	runParallel(j, j.parts, &j.wg)
	j.out, j.dOut, j.dx = nil, nil, nil
	elemJobs.Put(j)
}

func (j *elemJob) runPart(p int) {
	lo, hi := split(j.n, j.parts, p)
	switch j.kind {
	case elemReLUGrad:
		if lo < hi {
			reluGrad32(j.out[lo:hi], j.dOut[lo:hi], j.dx[lo:hi])
		}
	case elemBiasGrad:
		for {
			ck := int(j.next.Add(1)) - 1
			if ck >= j.chunks {
				break
			}
			acc := j.partial[ck][:j.c]
			clear(acc)
			clo, chi := split(j.n, j.chunks, ck)
			for i := clo; i < chi; i++ {
				for ch := range acc {
					acc[ch] += sum32(j.x[(i*j.c+ch)*j.inner : (i*j.c+ch+1)*j.inner])
				}
			}
		}
	case elemPoolFwd:
		poolFwdPlanes(j.pg, j.x, j.out, lo, hi)
	case elemPoolBwd:
		poolBwdPlanes(j.pg, j.x, j.out, j.dOut, j.dx, lo, hi)
	}
}

func poolFwdPlanes(g PoolGeom, x, out []float32, lo, hi int) {
	hw, ohw := g.H*g.W, g.OH*g.OW
	for nc := lo; nc < hi; nc++ {
		plane := x[nc*hw : (nc+1)*hw]
		o := out[nc*ohw : (nc+1)*ohw]
		if g.P == 2 {
			for oy := 0; oy < g.OH; oy++ {
				maxPool2Row(plane[2*oy*g.W:], plane[(2*oy+1)*g.W:], o[oy*g.OW:oy*g.OW+g.OW])
			}
			continue
		}
		for oy := 0; oy < g.OH; oy++ {
			for ox := 0; ox < g.OW; ox++ {
				m := plane[oy*g.P*g.W+ox*g.P]
				for i := 0; i < g.P; i++ {
					row := plane[(oy*g.P+i)*g.W+ox*g.P : (oy*g.P+i)*g.W+ox*g.P+g.P]
					for _, v := range row {
						if v > m {
							m = v
						}
					}
				}
				o[oy*g.OW+ox] = m
			}
		}
	}
}

// maxPool2BwdWindows is maxPool2BwdRow's loop: each of the len(m) 2×2
// windows passes g[t] to its first position holding m[t] and 0 to the
// other three.
func maxPool2BwdWindows(r0, r1, m, g, d0, d1 []float32) {
	for t, mt := range m {
		d0[2*t], d0[2*t+1], d1[2*t], d1[2*t+1] = 0, 0, 0, 0
		switch gv := g[t]; mt {
		case r0[2*t]:
			d0[2*t] = gv
		case r0[2*t+1]:
			d0[2*t+1] = gv
		case r1[2*t]:
			d1[2*t] = gv
		case r1[2*t+1]:
			d1[2*t+1] = gv
		}
	}
}

func poolBwdPlanes(g PoolGeom, x, out, dOut, dx []float32, lo, hi int) {
	hw, ohw := g.H*g.W, g.OH*g.OW
	for nc := lo; nc < hi; nc++ {
		plane := x[nc*hw : (nc+1)*hw]
		d := dx[nc*hw : (nc+1)*hw]
		o := out[nc*ohw : (nc+1)*ohw]
		do := dOut[nc*ohw : (nc+1)*ohw]
		// The 2×2 loops write every position of their windows; the rest
		// (an odd last row or column, or any other pool) starts at zero.
		whole := g.P == 2 && g.H == 2*g.OH && g.W == 2*g.OW
		if !whole {
			clear(d)
		}
		if g.P == 2 {
			for oy := 0; oy < g.OH; oy++ {
				r0 := plane[2*oy*g.W : 2*oy*g.W+2*g.OW]
				r1 := plane[(2*oy+1)*g.W : (2*oy+1)*g.W+2*g.OW]
				d0 := d[2*oy*g.W : 2*oy*g.W+2*g.OW]
				d1 := d[(2*oy+1)*g.W : (2*oy+1)*g.W+2*g.OW]
				mo := o[oy*g.OW : oy*g.OW+g.OW]
				gr := do[oy*g.OW : oy*g.OW+g.OW]
				if !maxPool2BwdRow(r0, r1, mo, gr, d0, d1) {
					maxPool2BwdWindows(r0, r1, mo, gr, d0, d1)
				}
			}
			continue
		}
		for oy := 0; oy < g.OH; oy++ {
			for ox := 0; ox < g.OW; ox++ {
				m := o[oy*g.OW+ox]
			window:
				for i := 0; i < g.P; i++ {
					base := (oy*g.P+i)*g.W + ox*g.P
					for jj, v := range plane[base : base+g.P] {
						if v == m {
							d[base+jj] = do[oy*g.OW+ox]
							break window
						}
					}
				}
			}
		}
	}
}

func biasGrad32(dz, db []float32, n, c, inner, workers int) {
	j := elemJobs.Get().(*elemJob)
	j.kind, j.n, j.c, j.inner, j.x = elemBiasGrad, n, c, inner, dz
	j.chunks = min(n, sumChunks)
	j.parts = min(resolveWorkers(workers, n*c*inner/minElemsPerPart), j.chunks)
	j.next.Store(0)
	for len(j.partial) < j.chunks {
		j.partial = append(j.partial, nil)
	}
	for ck := 0; ck < j.chunks; ck++ {
		j.partial[ck] = grow(j.partial[ck], c)
	}
	runParallel(j, j.parts, &j.wg)
	// Chunk order, as the filter gradient: the sum does not depend on the
	// workers.
	sum := j.partial[0][:c]
	for ck := 1; ck < j.chunks; ck++ {
		add32(sum, j.partial[ck][:c])
	}
	copy(db[:c], sum)
	j.x = nil
	elemJobs.Put(j)
}

// maxPool2RowGo is maxPool2Row in plain Go, in the reference's order.
func maxPool2RowGo(r0, r1, out []float32) {
	r0, r1 = r0[:2*len(out)], r1[:2*len(out)]
	for t := range out {
		m := r0[2*t]
		if v := r0[2*t+1]; v > m {
			m = v
		}
		if v := r1[2*t]; v > m {
			m = v
		}
		if v := r1[2*t+1]; v > m {
			m = v
		}
		out[t] = m
	}
}
