package kernels

// The backward passes read shifted plane copies (see shifted.go) instead
// of an im2col matrix, where the forward pass can (OW = Wq).
//
// Filter gradient: the rows of im2col are the taps' shifted views of the
// plane copies, and the rows of one tap (i, j) for channels 0, 1, 2, ...
// lie one copy span apart. So dWᵀ's rows of tap (i, j) are one matrix
// product with A read in place, row stride span: K·K products of C rows
// (C rounded up to 4; the extra rows read the following copies and are
// dropped) instead of one of C·K·K rows, over the same values in the same
// order: the sums are the im2col path's, bit for bit.
//
// Data gradient: dx[c][y][x] = Σ_f Σ_(i,j) W[f][c][i][j]·dz[f][oy][ox]
// over the taps with y = oy·s+i−pt and x = ox·s+j−pl. Output pixel
// (ty·s+ry, tx·s+rx) of polyphase phase (ry, rx) takes the taps with
// i ≡ ry+pt and j ≡ rx+pl (mod s), each reading dz shifted by
// ((ry+pt−i)/s, (rx+pl−j)/s): per phase a small forward convolution of dz
// with a subset of the taps, read from shifted copies of dz's planes. At
// stride 1 it is the one phase and all taps (the weights flipped); at
// stride 2 with a 3×3 kernel the phases take 4, 2, 2 and 1 taps from two
// copies of dz. The phases land in polyphase sub-images that unpolyphase
// writes into dx; no col matrix, no col2im.

// backPhase is one polyphase phase of the data gradient: row p of its
// B is dz's copies at boff[p], its weights a (C rounded up to 4 rows of
// len(boff) values) are filled per call.
type backPhase struct {
	q    int // phase ry·s+rx
	taps []backTap
	boff []int
	a    []float32
}

// backTap is kernel tap (i, j) in a phase, reading dz shifted by (ay, ax).
type backTap struct{ i, j, ay, ax int }

// backShiftMinC is the fewest input channels for which the backward
// passes take shifted copies unless told to: their products have C rows
// (per tap or per phase), and below 8 they run on the 4-row kernel, slower
// than im2col's one product of C·K·K rows (BenchmarkConv's fast1 against
// noshift1 on the 3-channel layer).
const backShiftMinC = 8

// backLayout plans the data gradient's phases and the layout of dz's
// shifted copies in sg, reusing ph's slices.
func (g ConvGeom) backLayout(sg *shiftGeom, ph []backPhase) []backPhase {
	s := g.Stride
	hq, wq := g.H, g.W
	if s > 1 {
		hq, wq = g.subSize()
	}
	*sg = shiftGeom{hq: g.OH, wq: g.OW, vars: sg.vars[:0], masks: sg.masks}
	variant := func(ax int) int {
		for v, sv := range sg.vars {
			if sv.dx == ax {
				return v
			}
		}
		sg.vars = append(sg.vars, shiftVariant{dx: ax})
		return len(sg.vars) - 1
	}
	for cap(ph) < s*s { // reslicing keeps the slices of phases past len
		ph = append(ph[:cap(ph)], backPhase{})
	}
	ph = ph[:s*s]
	for ry := 0; ry < s; ry++ {
		for rx := 0; rx < s; rx++ {
			p := &ph[ry*s+rx]
			p.q, p.taps = ry*s+rx, p.taps[:0]
			for i := 0; i < g.K; i++ {
				ay, my := floorDivMod(ry+g.PadTop-i, s)
				if my != 0 {
					continue
				}
				for j := 0; j < g.K; j++ {
					ax, mx := floorDivMod(rx+g.PadLeft-j, s)
					if mx != 0 {
						continue
					}
					p.taps = append(p.taps, backTap{i, j, ay, ax})
					variant(ax)
					// Output row ty reads dz row ty+ay, which must lie in
					// the copy: mt zero rows above dz's OH, mb below, and
					// a row more on the side a column shift wraps into.
					mt, mb := -ay, ay+hq-g.OH
					if ax < 0 {
						mt += (-ax + wq - 1) / wq
					} else {
						mb += (ax + wq - 1) / wq
					}
					sg.mt, sg.mb = max(sg.mt, mt), max(sg.mb, mb)
				}
			}
		}
	}
	sg.span = (sg.mt + g.OH + sg.mb) * g.OW
	np := hq * wq
	sg.size = len(sg.vars)*g.F*sg.span + roundUp(np, 16) - np + 16
	sg.planMasks()
	for k := range ph {
		p := &ph[k]
		p.boff = p.boff[:0]
		for f := 0; f < g.F; f++ {
			for _, t := range p.taps {
				v := variant(t.ax)
				p.boff = append(p.boff, (v*g.F+f)*sg.span+(sg.mt+t.ay)*g.OW+t.ax)
			}
		}
	}
	return ph
}

// backWeights fills each phase's A: row c, column f·T+t holds
// W[f][c][i][j] of the phase's tap t = (i, j); rows C.. are zero.
func (g ConvGeom) backWeights(ph []backPhase, w []float32) {
	c4 := roundUp(g.C, 4)
	for k := range ph {
		p := &ph[k]
		nt := len(p.taps)
		kp := g.F * nt
		p.a = grow(p.a, c4*kp)
		clear(p.a[g.C*kp:])
		for c := 0; c < g.C; c++ {
			row := p.a[c*kp : (c+1)*kp]
			for f := 0; f < g.F; f++ {
				wf := w[(f*g.C+c)*g.K*g.K:][:g.K*g.K]
				for t, tp := range p.taps {
					row[f*nt+t] = wf[tp.i*g.K+tp.j]
				}
			}
		}
	}
}

// backDataShiftedSetup sizes s for backDataShiftedImage and zeroes the
// margins of dz's copies, for a run of images.
func (j *convJob) backDataShiftedSetup(s *convScratch) {
	g := j.g
	np, npp := j.dataPlane()
	s.dcol = grow(s.dcol, j.sgd.size)
	zeroShifted(ConvGeom{C: g.F, Stride: 1}, &j.sgd, s.dcol)
	if !j.dataDirect(np, npp) {
		s.dcbuf = grow(s.dcbuf, roundUp(g.C, 4)*npp)
	}
	if g.Stride > 1 {
		s.dsub = grow(s.dsub, g.C*g.Stride*g.Stride*np)
	}
}

// dataPlane is the size of one output plane of the data gradient's
// phases (Hq·Wq, the image at stride 1) and that rounded up to tiles.
func (j *convJob) dataPlane() (np, npp int) {
	hq, wq := j.g.H, j.g.W
	if j.g.Stride > 1 {
		hq, wq = j.g.subSize()
	}
	return hq * wq, roundUp(hq*wq, 16)
}

// dataDirect reports whether the phases' products land in place, with no
// padded rows or columns: in dx at stride 1, in the polyphase sub-images
// otherwise.
func (j *convJob) dataDirect(np, npp int) bool {
	return roundUp(j.g.C, 4) == j.g.C && npp == np
}

// backDataShiftedImage writes an image's dx from its dz, through shifted
// copies of dz.
func (j *convJob) backDataShiftedImage(s *convScratch, dz, dxn []float32) {
	g := j.g
	ss := g.Stride * g.Stride
	np, npp := j.dataPlane()
	c4 := roundUp(g.C, 4)
	direct := j.dataDirect(np, npp)
	buildShifted(ConvGeom{C: g.F, Stride: 1}, &j.sgd, dz, s.dcol)
	planes := dxn
	if g.Stride > 1 {
		planes = s.dsub[:g.C*ss*np]
	}
	for k := range j.bph {
		ph := &j.bph[k]
		base := ph.q * np
		if len(ph.taps) == 0 { // no tap reaches this phase
			for c := 0; c < g.C; c++ {
				clear(planes[(c*ss)*np+base:][:np])
			}
			continue
		}
		kp := len(ph.boff)
		if direct {
			gemmIB(c4, npp, kp, ph.a, kp, s.dcol, ph.boff, planes[base:], ss*np, nil, 0)
			continue
		}
		gemmIB(c4, npp, kp, ph.a, kp, s.dcol, ph.boff, s.dcbuf, npp, nil, 0)
		for c := 0; c < g.C; c++ {
			copy(planes[c*ss*np+base:][:np], s.dcbuf[c*npp:])
		}
	}
	if g.Stride > 1 {
		unpolyphase(g, planes, dxn)
	}
}

// backFilterShiftedSetup sizes s for backFilterShiftedImage and zeroes
// the margins of the plane copies, for a run of images. The sums hold dWᵀ by tap, row (t·C4 + c) for tap t = i·K+j of
// channel c.
func (j *convJob) backFilterShiftedSetup(s *convScratch) {
	g := j.g
	// The padded channels' rows read up to C4−C spans past the copies.
	extra := (roundUp(g.C, 4) - g.C) * j.sg.span
	s.col = grow(s.col, j.sg.size+extra)
	zeroShifted(g, &j.sg, s.col)
	clear(s.col[j.sg.size:])
	s.dzT = grow(s.dzT, g.OH*g.OW*roundUp(g.F, 16))
	clear(s.dzT)
}

// backFilterShiftedImage adds image n's filter and bias gradients, from
// its dz, to chunk's sums.
func (j *convJob) backFilterShiftedImage(s *convScratch, chunk, n int, dz []float32) {
	g := j.g
	kk2 := g.K * g.K
	c4 := roundUp(g.C, 4)
	np := g.OH * g.OW
	f16 := roundUp(g.F, 16)
	in := g.C * g.H * g.W
	acc, dbAcc := j.acc[chunk], j.dbs[chunk]
	j.shiftImage(s, j.x[n*in:(n+1)*in], s.col)
	transposeInto(dz, np, g.F, np, s.dzT, f16)
	for f := 0; f < g.F; f++ {
		dbAcc[f] += sum32(dz[f*np : f*np+np])
	}
	for t := 0; t < kk2; t++ {
		gemm(c4, f16, np, s.col[j.boff[t]:], j.sg.span, s.dzT, f16, acc[t*c4*f16:], f16, nil, kAccum)
	}
}

// accRow is the row of the per-chunk sums that holds dWᵀ's row r
// ((c·K+i)·K+j).
func (j *convJob) accRow(r int) int {
	if !j.useShift {
		return r
	}
	kk2 := j.g.K * j.g.K
	return (r%kk2)*roundUp(j.g.C, 4) + r/kk2
}
