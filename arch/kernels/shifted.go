package kernels

import "math"

// A forward pass whose output rows are as wide as its (sub-)image planes
// (OW = Wq: 'same' padding) needs no im2col matrix. Each kernel tap's row
// of col is the plane shifted by dy rows and dx columns, with zeros where
// the shift leaves the plane: the zeros in the rows above and below come
// from zero rows kept around each plane, and those at the row ends from a
// copy of the plane with the |dx| columns that a shift by dx wraps into
// the neighbouring row set to zero. Taps with the same plane and dx read
// one copy at different offsets, so with a 3×3 kernel the planes are
// copied three times (stride 1) or one and a half (stride 2) instead of
// im2col's nine rows per plane, and the matrix product reads its rows in
// place (gemmIB). The rows hold exactly im2col's values: the product is
// the same, bit for bit.

// Which forward path a call takes, for tests and benchmarks.
const (
	shiftAuto = iota
	shiftAlways
	shiftNever
)

// shiftMode overrides the choice, for tests and benchmarks.
var shiftMode = shiftAuto

// shiftVariant is one copy of every channel's plane of polyphase phase q
// (qy·s+qx; 0 at stride 1), for taps that shift by dx columns.
type shiftVariant struct{ q, dx int }

// shiftGeom is the layout of the shifted-planes buffer of one image: for
// variant v and channel c, at (v·C+c)·span, mt zero rows, the Hq×Wq
// plane (its wrapped columns zeroed), mb zero rows; then a zero tail for
// the tile columns past OH·OW.
type shiftGeom struct {
	hq, wq, mt, mb, span int
	vars                 []shiftVariant
	size                 int
	// masks[v] is variant v's column pattern for maskCopy (see
	// planMasks; all ones for dx = 0: one call copies every channel), or
	// empty where its planes do not suit maskCopy.
	masks [][]float32
}

// maskPeriodMax bounds the length of a column mask, lcm(Wq, 16).
const maskPeriodMax = 1024

// planMasks makes each shifting variant's mask: the all-ones bit
// pattern, but 0 in the columns a shift by dx wraps (the first dx of a
// row for dx > 0, the last −dx for dx < 0), repeated over lcm(Wq, 16)
// values so that 16-value steps never straddle a period.
func (sg *shiftGeom) planMasks() {
	// Reslice rather than append nil, which would drop the masks of
	// slots past the length that a layout with fewer variants left.
	for cap(sg.masks) < len(sg.vars) {
		sg.masks = append(sg.masks[:cap(sg.masks)], nil)
	}
	sg.masks = sg.masks[:len(sg.vars)]
	period := sg.wq * 16 / gcd(sg.wq, 16)
	ones := math.Float32frombits(^uint32(0))
	for v, sv := range sg.vars {
		m := sg.masks[v][:0]
		if (sg.hq*sg.wq)%16 == 0 && period <= maskPeriodMax {
			n := min(abs(sv.dx), sg.wq)
			for i := 0; i < period; i++ {
				x := i % sg.wq
				if sv.dx > 0 && x < n || sv.dx < 0 && x >= sg.wq-n {
					m = append(m, 0)
				} else {
					m = append(m, ones)
				}
			}
		}
		sg.masks[v] = m
	}
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func abs(a int) int {
	if a < 0 {
		return -a
	}
	return a
}

// shiftOK reports whether g's forward pass can read shifted planes, and
// whether it should.
func (g ConvGeom) shiftOK() bool {
	wq := g.W
	if g.Stride > 1 {
		_, wq = g.subSize()
	}
	if g.OW != wq {
		return false
	}
	return shiftMode != shiftNever
}

// shiftLayout plans the buffer and fills boff with each tap's row start.
func (g ConvGeom) shiftLayout(sg *shiftGeom, boff []int) []int {
	s := g.Stride
	hq, wq := g.H, g.W
	if s > 1 {
		hq, wq = g.subSize()
	}
	*sg = shiftGeom{hq: hq, wq: wq, vars: sg.vars[:0], masks: sg.masks}
	np := g.OH * g.OW
	variant := func(q, dx int) int {
		for v, sv := range sg.vars {
			if sv == (shiftVariant{q, dx}) {
				return v
			}
		}
		sg.vars = append(sg.vars, shiftVariant{q, dx})
		return len(sg.vars) - 1
	}
	// A tap's row starts at (mt+dy)·wq + dx in its copy; its np
	// outputs must be read inside the copy: the start at 0 or more, the
	// last value before (mt+hq+mb)·wq.
	for i := 0; i < g.K; i++ {
		dy, _ := floorDivMod(i-g.PadTop, s)
		for j := 0; j < g.K; j++ {
			dx, _ := floorDivMod(j-g.PadLeft, s)
			mt, mb := -dy, dy+g.OH-hq
			if dx < 0 {
				mt += (-dx + wq - 1) / wq
			} else {
				mb += (dx + wq - 1) / wq
			}
			sg.mt, sg.mb = max(sg.mt, mt), max(sg.mb, mb)
		}
	}
	sg.span = (sg.mt + hq + sg.mb) * wq
	boff = boff[:0]
	for c := 0; c < g.C; c++ {
		for i := 0; i < g.K; i++ {
			dy, qy := floorDivMod(i-g.PadTop, s)
			for j := 0; j < g.K; j++ {
				dx, qx := floorDivMod(j-g.PadLeft, s)
				v := variant(qy*s+qx, dx)
				boff = append(boff, (v*g.C+c)*sg.span+(sg.mt+dy)*wq+dx)
			}
		}
	}
	sg.size = len(sg.vars)*g.C*sg.span + roundUp(np, 16) - np + 16
	sg.planMasks()
	return boff
}

// zeroShifted zeroes the margins of every plane copy in buf and its tail:
// what buildShifted never writes, so once for a worker's run of images.
func zeroShifted(g ConvGeom, sg *shiftGeom, buf []float32) {
	buf = buf[:sg.size]
	top, bottom := sg.mt*sg.wq, (sg.mt+sg.hq)*sg.wq
	for k := 0; k < len(sg.vars)*g.C; k++ {
		dst := buf[k*sg.span:][:sg.span]
		clear(dst[:top])
		clear(dst[bottom:])
	}
	clear(buf[len(sg.vars)*g.C*sg.span:])
}

// buildShifted writes the plane copies of one image into buf (whose
// margins zeroShifted has zeroed) from planes (the image at stride 1, its
// polyphase sub-images otherwise).
func buildShifted(g ConvGeom, sg *shiftGeom, planes, buf []float32) {
	hq, wq := sg.hq, sg.wq
	ss := g.Stride * g.Stride
	buf = buf[:sg.size]
	// The columns zeroed are a column or two a row: indexed loops, not
	// clear, which would call memclr for each.
	for v, sv := range sg.vars {
		if len(sg.masks[v]) > 0 && maskCopy(buf[v*g.C*sg.span+sg.mt*wq:], planes[sv.q*hq*wq:], sg.masks[v], hq*wq, g.C, sg.span, ss*hq*wq) {
			continue
		}
		for c := 0; c < g.C; c++ {
			body := buf[(v*g.C+c)*sg.span+sg.mt*wq:][:hq*wq]
			copy(body, planes[(c*ss+sv.q)*hq*wq:][:hq*wq])
			switch {
			case sv.dx > 0:
				n := min(sv.dx, wq)
				for y := 0; y < hq; y++ {
					for k := y * wq; k < y*wq+n; k++ {
						body[k] = 0
					}
				}
			case sv.dx < 0:
				n := min(-sv.dx, wq)
				for y := 1; y <= hq; y++ {
					for k := y*wq - n; k < y*wq; k++ {
						body[k] = 0
					}
				}
			}
		}
	}
}

// shiftImage writes the plane copies of image xn into buf: through its
// polyphase split in s.sub at stride > 1 unless buildShiftedPoly2 can
// split it straight into the copies.
func (j *convJob) shiftImage(s *convScratch, xn, buf []float32) {
	g := j.g
	switch {
	case g.Stride == 1:
		buildShifted(g, &j.sg, xn, buf)
	case !buildShiftedPoly2(g, &j.sg, xn, buf):
		polyphase(g, xn, s.sub)
		buildShifted(g, &j.sg, s.sub, buf)
	}
}

// buildShiftedPoly2 is polyphase and buildShifted in one at stride 2: the
// sub-images go straight into the copies of the variants that do not
// shift (dx = 0), and the others copy from those, on the avx512 and avx2 paths with
// even image sides and Wq a multiple of 8. It reports false, doing
// nothing, elsewhere.
func buildShiftedPoly2(g ConvGeom, sg *shiftGeom, xn, buf []float32) bool {
	hq, wq := sg.hq, sg.wq
	n := hq * wq
	if g.Stride != 2 || g.H%2 != 0 || g.W%2 != 0 || !useAVX || wq%8 != 0 || n%16 != 0 {
		return false
	}
	plain := [4]int{-1, -1, -1, -1}
	for v, sv := range sg.vars {
		if len(sg.masks[v]) == 0 {
			return false
		}
		if sv.dx == 0 {
			plain[sv.q] = v
		}
	}
	for _, v := range plain {
		if v < 0 {
			return false
		}
	}
	buf = buf[:sg.size]
	body := func(v, c int) []float32 { return buf[(v*g.C+c)*sg.span+sg.mt*wq:][:n] }
	for c := 0; c < g.C; c++ {
		plane := xn[c*g.H*g.W:][:g.H*g.W]
		polyphase2PlaneTo(plane, body(plain[0], c), body(plain[1], c), body(plain[2], c), body(plain[3], c), hq, wq)
	}
	for v, sv := range sg.vars {
		if sv.dx != 0 {
			maskCopy(buf[v*g.C*sg.span+sg.mt*wq:], buf[plain[sv.q]*g.C*sg.span+sg.mt*wq:], sg.masks[v], n, g.C, sg.span, sg.span)
		}
	}
	return true
}
