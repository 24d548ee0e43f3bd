package kernels

import "math"

// The forward pass can read the kernel taps straight from a zero-padded
// (and, for stride s > 1, polyphase-split) copy of each image instead of
// from an im2col matrix. The padded image is
// Hp×Wp = ((OH−1)·s+K)×((OW−1)·s+K); its s·s sub-images are Hq×Wq with
// Hq = ⌈Hp/s⌉, Wq = ⌈Wp/s⌉ and sub[qy][qx][ty][tx] = padded[ty·s+qy][tx·s+qx].
// Tap (c, i, j) at output (oy, ox) reads sub-image (i mod s, j mod s) of
// channel c at (oy + i/s, ox + j/s): with outputs laid out "wide", at
// p = oy·Wq + ox, every tap is one contiguous run of the buffer starting
// at a fixed offset. The Wq−OW columns past each output row are garbage
// that the forward pass drops.

// Which path a forward call takes.
const (
	wideAuto = iota
	wideAlways
	wideNever
)

// wideMode overrides the choice, for tests and benchmarks.
var wideMode = wideAuto

// preferWide reports whether the padded-image path is expected to beat
// im2col: it computes Wq−OW garbage columns per output row, so it pays
// only when those are few and im2col's copies are many.
func (g ConvGeom) preferWide(w wideGeom) bool {
	switch wideMode {
	case wideAlways:
		return true
	case wideNever:
		return false
	}
	npp := roundUp(g.OH*g.OW, 16)
	return g.Stride == 1 && g.C >= 8 && 16*(w.nwp-npp) <= npp
}

// wideGeom is the layout of the padded polyphase buffer of one image.
type wideGeom struct {
	hp, wp, hq, wq int
	plane          int // Hq·Wq, the stride between sub-images
	nw             int // wide output length (OH−1)·Wq + OW
	nwp            int // nw rounded up to whole 16-column tiles
	size           int // buffer length: the sub-images plus a zero tail
}

func (g ConvGeom) wide() wideGeom {
	s := g.Stride
	w := wideGeom{hp: (g.OH-1)*s + g.K, wp: (g.OW-1)*s + g.K}
	w.hq, w.wq = (w.hp+s-1)/s, (w.wp+s-1)/s
	w.plane = w.hq * w.wq
	w.nw = (g.OH-1)*w.wq + g.OW
	w.nwp = roundUp(w.nw, 16)
	// Tiles read up to nwp values from a tap's start, which lies inside
	// its sub-image: the zero tail covers any overrun past the last one,
	// and doubles as the all-zero row of padded tap rows (see tapOffsets).
	w.size = g.C*s*s*w.plane + w.nwp + 16
	return w
}

// tapOffsets fills boff[(c·K+i)·K+j] with tap (c, i, j)'s start in the
// buffer, and pads it to a multiple of 4 rows pointing at the zero tail.
func (g ConvGeom) tapOffsets(w wideGeom, boff []int) []int {
	s := g.Stride
	kk := g.C * g.K * g.K
	boff = boff[:0]
	for c := 0; c < g.C; c++ {
		for i := 0; i < g.K; i++ {
			for j := 0; j < g.K; j++ {
				plane := ((c*s+i%s)*s + j%s) * w.plane
				boff = append(boff, plane+(i/s)*w.wq+j/s)
			}
		}
	}
	for len(boff) < roundUp(kk, 4) {
		boff = append(boff, g.C*s*s*w.plane)
	}
	return boff
}

// buildWide writes image xn (C×H×W) into buf as padded sub-images; row is
// scratch of at least Wq·s values.
func buildWide(g ConvGeom, w wideGeom, xn, buf, row []float32) {
	s := g.Stride
	buf = buf[:w.size]
	if s == 1 && buildWide1(g, w, xn, buf) {
		return
	}
	row = row[:w.wq*s]
	for c := 0; c < g.C; c++ {
		plane := xn[c*g.H*g.W : (c+1)*g.H*g.W]
		for ty := 0; ty < w.hq; ty++ {
			for qy := 0; qy < s; qy++ {
				// Row ty·s+qy of the padded image, as Wq·s values.
				y := ty*s + qy - g.PadTop
				base := ((c*s+qy)*s)*w.plane + ty*w.wq
				if y < 0 || y >= g.H || ty*s+qy >= w.hp {
					for qx := 0; qx < s; qx++ {
						clear(buf[base+qx*w.plane : base+qx*w.plane+w.wq])
					}
					continue
				}
				src := plane[y*g.W : y*g.W+g.W]
				// Columns x' of the padded row hold src[x' − PadLeft].
				lo := min(g.PadLeft, len(row))
				clear(row[:lo])
				n := copy(row[lo:], src)
				clear(row[lo+n:])
				switch s {
				case 1:
					copy(buf[base:base+w.wq], row)
				case 2:
					deinterleave2(row, buf[base:base+w.wq], buf[base+w.plane:base+w.plane+w.wq])
				default:
					for qx := 0; qx < s; qx++ {
						d := buf[base+qx*w.plane : base+qx*w.plane+w.wq]
						for tx := range d {
							d[tx] = row[tx*s+qx]
						}
					}
				}
			}
		}
	}
	clear(buf[g.C*s*s*w.plane:])
}

// allOnes is maskCopy's mask for a plain copy: every bit set.
var allOnes = func() (m [16]float32) {
	for i := range m {
		m[i] = math.Float32frombits(^uint32(0))
	}
	return m
}()

// copyRows sets dst[r·ldd+i] = src[r·lds+i] for r < rows and i < w in one
// maskCopy call with an all-ones mask: a row of the study's images is 16
// or 32 values, and a copy call a row cost more than the row's values. It
// reports false, doing nothing, where maskCopy does (on the go path,
// or w not a multiple of 16).
func copyRows(dst []float32, ldd int, src []float32, lds, rows, w int) bool {
	if rows <= 0 || w <= 0 || ldd < w || lds < w {
		return false
	}
	return maskCopy(dst, src, allOnes[:], w, rows, ldd, lds)
}

// buildWide1 is buildWide at stride 1 in one clear and a copyRows call a
// channel, on the avx512 and avx2 paths with rows of whole 16-value vectors. It
// reports false, doing nothing, elsewhere.
func buildWide1(g ConvGeom, w wideGeom, xn, buf []float32) bool {
	rows, cols := min(g.H, w.hp-g.PadTop), min(g.W, w.wp-g.PadLeft)
	if !useAVX || rows <= 0 || cols <= 0 || cols%16 != 0 {
		return false
	}
	clear(buf)
	for c := 0; c < g.C; c++ {
		dst := buf[c*w.plane+g.PadTop*w.wq+g.PadLeft:]
		copyRows(dst, w.wq, xn[c*g.H*g.W:], g.W, rows, cols)
	}
	return true
}

func (j *convJob) forwardWide(p, lo, hi int) {
	g := j.g
	s := &j.scr[p]
	w := j.wg2
	kk := g.C * g.K * g.K
	np := g.OH * g.OW
	fp := roundUp(g.F, 4)
	in := g.C * g.H * g.W
	s.sub = grow(s.sub, w.size)
	s.row = grow(s.row, w.wq*g.Stride)
	ld := padLd(w.nwp)
	s.cbuf = grow(s.cbuf, fp*ld)
	a, bias := j.w, j.b
	if g.F != fp {
		a, bias = j.wpad, j.bpad
	}
	flags := 0
	if j.relu {
		flags |= kReLU
	}
	for n := lo; n < hi; n++ {
		buildWide(g, w, j.x[n*in:(n+1)*in], s.sub, s.row)
		gemmIB(fp, w.nwp, kk, a, kk, s.sub, j.boff, s.cbuf, ld, bias, flags)
		out := j.out[n*g.F*np : (n+1)*g.F*np]
		for f := 0; f < g.F; f++ {
			cw := s.cbuf[f*ld:]
			o := out[f*np : (f+1)*np]
			if copyRows(o, g.OW, cw, w.wq, g.OH, g.OW) {
				continue
			}
			for oy := 0; oy < g.OH; oy++ {
				copy(o[oy*g.OW:(oy+1)*g.OW], cw[oy*w.wq:])
			}
		}
	}
}
