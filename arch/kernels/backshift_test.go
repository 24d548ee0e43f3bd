package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestBackwardShiftedTaken checks that the backward passes of the study's
// layers read shifted copies (so that the tests of the shifted mode test
// them), that forcing the mode reaches every geometry whose rows are as
// wide as its planes, and that forbidding it is obeyed.
func TestBackwardShiftedTaken(t *testing.T) {
	defer setModes(wideAuto, gatherAuto, shiftAuto)
	for _, c := range convCases {
		g := newGeom(t, c)
		// Rows as wide as the (polyphase) planes: OW = ⌈W/s⌉.
		fits := g.OW == (g.W+g.Stride-1)/g.Stride
		for _, kind := range []int{jobBackData, jobBackFilter} {
			for _, mode := range []int{shiftAuto, shiftAlways, shiftNever} {
				want := false
				switch mode {
				case shiftAlways:
					want = fits
				case shiftAuto:
					want = fits && g.C >= 8 && (kind == jobBackData || g.OH*g.OW > gatherMaxOut)
				}
				setModes(wideAuto, gatherAuto, mode)
				j := getConvJob(kind, g)
				got := j.useShift
				if kind == jobBackData {
					got = j.dshift
				}
				putConvJob(j)
				if got != want {
					t.Errorf("%v kind %d mode %d: shifted = %v, want %v", c, kind, mode, got, want)
				}
			}
		}
	}
	setModes(wideAuto, gatherAuto, shiftAuto)
	// The study's strided layers, by name, so that a change of rule that
	// drops them is seen.
	for _, c := range benchLayers[1:4] {
		g := newGeom(t, c)
		j := getConvJob(jobBack, g)
		if !j.useShift || !j.dshift {
			t.Errorf("%v: filter gradient on shifted copies %v, data gradient %v, want both", c, j.useShift, j.dshift)
		}
		putConvJob(j)
	}
}

// TestBackwardFilterShiftedBitwise checks that the filter gradient read
// from shifted copies is the im2col path's bit for bit, on every kernel
// path: the same values in the same order, only fetched from elsewhere.
func TestBackwardFilterShiftedBitwise(t *testing.T) {
	withKernels(t, func(t *testing.T) {
		for i, c := range convCases {
			g := newGeom(t, c)
			setModes(wideAuto, gatherAuto, shiftAlways)
			ok := g.shiftOK()
			setModes(wideAuto, gatherAuto, shiftAuto)
			if !ok {
				continue
			}
			r := rand.New(rand.NewPCG(uint64(i), 21))
			x, dz := randSlice32(r, g.InSize()), randSlice32(r, g.OutSize())
			run := func(mode int) (dw, db []float32) {
				setModes(wideAuto, gatherNever, mode)
				defer setModes(wideAuto, gatherAuto, shiftAuto)
				dw, db = make([]float32, g.WeightSize()), make([]float32, g.F)
				Conv2DBackwardFilter(g, x, dz, dw, db)
				return dw, db
			}
			dw0, db0 := run(shiftNever)
			dw1, db1 := run(shiftAlways)
			// want: im2col's; got: the shifted copies'.
			sameBits(t, fmt.Sprintf("%v: shifted dw", c), dw1, dw0)
			sameBits(t, fmt.Sprintf("%v: shifted db", c), db1, db0)
		}
	})
}

// TestBackwardDataPhases checks the phase plan of the data gradient
// against a direct count: every kernel tap falls in exactly one phase,
// and reads dz at the offset the definition gives.
func TestBackwardDataPhases(t *testing.T) {
	for _, c := range convCases {
		g := newGeom(t, c)
		s := g.Stride
		var sg shiftGeom
		ph := g.backLayout(&sg, nil)
		seen := make(map[[2]int]int)
		for _, p := range ph {
			ry, rx := p.q/s, p.q%s
			for _, tp := range p.taps {
				seen[[2]int{tp.i, tp.j}]++
				// Output (ty·s+ry, tx·s+rx) = (oy·s+i−pt, ox·s+j−pl) at
				// oy = ty+ay, ox = tx+ax.
				if s*tp.ay+tp.i-g.PadTop != ry || s*tp.ax+tp.j-g.PadLeft != rx {
					t.Errorf("%v phase %d: tap (%d,%d) shift (%d,%d) does not reach the phase", c, p.q, tp.i, tp.j, tp.ay, tp.ax)
				}
			}
			if want := g.F * len(p.taps); len(p.boff) != want {
				t.Errorf("%v phase %d: %d offsets, want %d", c, p.q, len(p.boff), want)
			}
		}
		for i := 0; i < g.K; i++ {
			for j := 0; j < g.K; j++ {
				if n := seen[[2]int{i, j}]; n != 1 {
					t.Errorf("%v: tap (%d,%d) in %d phases", c, i, j, n)
				}
			}
		}
	}
}

// TestPolyphase checks the polyphase split against its definition and
// unpolyphase as its inverse, on every kernel path, for plane sizes that
// take the whole-plane assembly (even sides, Wq a multiple of 8) and
// those that do not.
func TestPolyphase(t *testing.T) {
	withKernels(t, func(t *testing.T) {
		for _, sz := range [][4]int{{2, 32, 32, 2}, {3, 16, 16, 2}, {1, 16, 48, 2}, {2, 8, 8, 2}, {2, 7, 9, 2}, {1, 6, 10, 3}, {2, 17, 32, 2}} {
			c, h, w, s := sz[0], sz[1], sz[2], sz[3]
			g := ConvGeom{C: c, H: h, W: w, Stride: s}
			hq, wq := g.subSize()
			r := rand.New(rand.NewPCG(uint64(h), uint64(w)))
			x := randSlice32(r, c*h*w)
			sub := randSlice32(r, c*s*s*hq*wq) // stale values must be overwritten
			polyphase(g, x, sub)
			for ch := 0; ch < c; ch++ {
				for qy := 0; qy < s; qy++ {
					for qx := 0; qx < s; qx++ {
						for ty := 0; ty < hq; ty++ {
							for tx := 0; tx < wq; tx++ {
								want := float32(0)
								if y, xx := ty*s+qy, tx*s+qx; y < h && xx < w {
									want = x[(ch*h+y)*w+xx]
								}
								if got := sub[(((ch*s+qy)*s+qx)*hq+ty)*wq+tx]; got != want {
									t.Fatalf("%v: sub(%d,%d,%d)[%d][%d] = %g, want %g", sz, ch, qy, qx, ty, tx, got, want)
								}
							}
						}
					}
				}
			}
			back := randSlice32(r, c*h*w)
			unpolyphase(g, sub, back)
			for k := range x {
				if back[k] != x[k] {
					t.Fatalf("%v: unpolyphase(polyphase(x))[%d] = %g, want %g", sz, k, back[k], x[k])
				}
			}
		}
	})
}

// TestMaskCopy checks maskCopy against its definition: masked values
// zeroed, the others copied bit for bit (NaN payloads included), nothing
// written between the planes.
func TestMaskCopy(t *testing.T) {
	withSIMDPaths(t, testMaskCopy)
}

func testMaskCopy(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	ones := math.Float32frombits(^uint32(0))
	for _, sz := range [][4]int{{16, 16, 1, 16}, {64, 16, 3, 70}, {256, 48, 5, 300}, {1024, 32, 2, 1030}} {
		n, period, planes, ldd := sz[0], sz[1], sz[2], sz[3]
		lds := n + 5
		src := randSlice32(r, (planes-1)*lds+n)
		src[3] = math.Float32frombits(0x7fc01234) // a NaN with a payload
		mask := make([]float32, period)
		for i := range mask {
			if r.IntN(3) > 0 {
				mask[i] = ones
			}
		}
		mask[3%period] = ones
		dst := randSlice32(r, (planes-1)*ldd+n)
		before := slices.Clone(dst)
		if !maskCopy(dst, src, mask, n, planes, ldd, lds) {
			t.Fatalf("%v: maskCopy declined", sz)
		}
		for k := 0; k < planes; k++ {
			for i := 0; i < n; i++ {
				want := uint32(0)
				if mask[i%period] != 0 {
					want = math.Float32bits(src[k*lds+i])
				}
				if got := math.Float32bits(dst[k*ldd+i]); got != want {
					t.Fatalf("%v: plane %d value %d = %#x, want %#x", sz, k, i, got, want)
				}
			}
			if k+1 < planes {
				for i := k*ldd + n; i < (k+1)*ldd; i++ {
					if dst[i] != before[i] {
						t.Fatalf("%v: wrote %d, between planes %d and %d", sz, i, k, k+1)
					}
				}
			}
		}
	}
	if maskCopy(make([]float32, 24), make([]float32, 24), make([]float32, 16), 24, 1, 24, 24) {
		t.Error("maskCopy took 24 values, not a multiple of 16")
	}
}

// TestBuildShiftedPoly2 checks the one-pass split into plane copies
// against polyphase followed by buildShifted, value for value, and that
// it takes the study's strided layers.
func TestBuildShiftedPoly2(t *testing.T) {
	withSIMDPaths(t, testBuildShiftedPoly2)
}

func testBuildShiftedPoly2(t *testing.T) {
	for i, c := range append(slices.Clone(convCases), benchLayers[1], benchLayers[3]) {
		g := newGeom(t, c)
		if g.Stride != 2 || !g.shiftOK() {
			continue
		}
		var sg shiftGeom
		g.shiftLayout(&sg, nil)
		r := rand.New(rand.NewPCG(uint64(i), 5))
		xn := randSlice32(r, g.C*g.H*g.W)
		hq, wq := g.subSize()
		sub := make([]float32, g.C*4*hq*wq)
		want, got := randSlice32(r, sg.size), randSlice32(r, sg.size)
		copy(got, want) // what neither writes (the margins) must agree
		polyphase(g, xn, sub)
		buildShifted(g, &sg, sub, want)
		even := g.H%2 == 0 && g.W%2 == 0 && wq%8 == 0
		if ok := buildShiftedPoly2(g, &sg, xn, got); ok != even {
			t.Fatalf("%v: one-pass split taken = %v, want %v", c, ok, even)
		}
		if !even {
			continue
		}
		sameBits(t, fmt.Sprintf("%v: copy", c), got, want)
	}
}

// TestBackwardFilterReLUFused checks the filter and data gradients with
// the ReLU's gradient made image by image against ReLUGrad then
// Conv2DBackwardFilter or Conv2DBackwardData, bit for bit, on every
// layout and kernel path and for float64.
func TestBackwardFilterReLUFused(t *testing.T) {
	withPaths(t, func(t *testing.T) {
		withKernels(t, func(t *testing.T) {
			for i, c := range convCases {
				g := newGeom(t, c)
				r := rand.New(rand.NewPCG(uint64(i), 31))
				x, out, dOut := randSlice32(r, g.InSize()), randSlice32(r, g.OutSize()), randSlice32(r, g.OutSize())
				for k := 0; k < len(out); k += 7 {
					out[k] = 0 // the boundary: no gradient
				}
				for _, workers := range []int{1, 3} {
					g.Workers = workers
					dz := make([]float32, g.OutSize())
					ReLUGrad(out, dOut, dz, workers)
					wantDw, wantDb := make([]float32, g.WeightSize()), make([]float32, g.F)
					Conv2DBackwardFilter(g, x, dz, wantDw, wantDb)
					dw, db := randSlice32(r, g.WeightSize()), randSlice32(r, g.F)
					Conv2DBackwardFilterReLU(g, x, out, dOut, dw, db)
					if !slices.Equal(dw, wantDw) || !slices.Equal(db, wantDb) {
						t.Fatalf("%v workers=%d: fused differs from ReLUGrad then the filter gradient", c, workers)
					}
					w := randSlice32(r, g.WeightSize())
					wantDx := make([]float32, g.InSize())
					Conv2DBackwardData(g, w, dz, wantDx)
					dx := randSlice32(r, g.InSize())
					dw, db = randSlice32(r, g.WeightSize()), randSlice32(r, g.F)
					Conv2DBackwardReLU(g, x, w, out, dOut, dx, dw, db)
					if !slices.Equal(dx, wantDx) || !slices.Equal(dw, wantDw) || !slices.Equal(db, wantDb) {
						t.Fatalf("%v workers=%d: both gradients in one pass differ from ReLUGrad then each", c, workers)
					}
					if g.InSize() == g.OutSize() {
						// dx written over dOut, as a training graph's arena does.
						over := slices.Clone(dOut)
						dw, db = randSlice32(r, g.WeightSize()), randSlice32(r, g.F)
						Conv2DBackwardReLU(g, x, w, out, over, over, dw, db)
						if !slices.Equal(over, wantDx) || !slices.Equal(dw, wantDw) || !slices.Equal(db, wantDb) {
							t.Fatalf("%v workers=%d: the gradients with dx over dOut differ", c, workers)
						}
					}
				}
			}
		})
	})
	g := newGeom(t, convCases[2])
	r := rand.New(rand.NewPCG(8, 8))
	x, out, dOut := to64(randSlice32(r, g.InSize())), to64(randSlice32(r, g.OutSize())), to64(randSlice32(r, g.OutSize()))
	dz := make([]float64, g.OutSize())
	refReLUGrad(out, dOut, dz)
	wantDw, wantDb := make([]float64, g.WeightSize()), make([]float64, g.F)
	refConv2DBackwardFilter(g, x, dz, wantDw, wantDb)
	dw, db := make([]float64, g.WeightSize()), make([]float64, g.F)
	Conv2DBackwardFilterReLU(g, x, out, dOut, dw, db)
	if !slices.Equal(dw, wantDw) || !slices.Equal(db, wantDb) {
		t.Fatal("float64: fused differs from ReLUGrad then the filter gradient")
	}
	w := to64(randSlice32(r, g.WeightSize()))
	wantDx := make([]float64, g.InSize())
	refConv2DBackwardData(g, w, dz, wantDx)
	dx := make([]float64, g.InSize())
	dw, db = make([]float64, g.WeightSize()), make([]float64, g.F)
	Conv2DBackwardReLU(g, x, w, out, dOut, dx, dw, db)
	if !slices.Equal(dx, wantDx) || !slices.Equal(dw, wantDw) || !slices.Equal(db, wantDb) {
		t.Fatal("float64: both gradients in one pass differ from ReLUGrad then each")
	}
	// float64 with dx over dOut, on a layer whose input and output are one size.
	g = newGeom(t, convCase{2, 32, 8, 8, 32, 3, 1, "same"})
	x, out, dOut = to64(randSlice32(r, g.InSize())), to64(randSlice32(r, g.OutSize())), to64(randSlice32(r, g.OutSize()))
	w = to64(randSlice32(r, g.WeightSize()))
	dz = make([]float64, g.OutSize())
	refReLUGrad(out, dOut, dz)
	wantDx = make([]float64, g.InSize())
	refConv2DBackwardData(g, w, dz, wantDx)
	Conv2DBackwardReLU(g, x, w, out, dOut, dOut, make([]float64, g.WeightSize()), make([]float64, g.F))
	if !slices.Equal(dOut, wantDx) {
		t.Fatal("float64: dx written over dOut differs")
	}
}
