package kernels

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// The study's convolution layers at the training batch size.
var benchLayers = []convCase{
	{128, 3, 32, 32, 16, 3, 1, "same"},
	{128, 16, 32, 32, 16, 3, 2, "same"},
	{128, 16, 16, 16, 32, 3, 1, "same"},
	{128, 32, 16, 16, 32, 3, 2, "same"},
	{128, 16, 32, 32, 16, 3, 1, "same"},
	{128, 32, 8, 8, 32, 3, 2, "same"},
	// deeper's
	{128, 3, 32, 32, 8, 3, 1, "same"},
	{128, 8, 32, 32, 8, 3, 2, "same"},
	{128, 8, 16, 16, 16, 3, 1, "same"},
	{128, 16, 16, 16, 16, 3, 2, "same"},
	{128, 16, 8, 8, 32, 3, 1, "same"},
}

type benchBufs struct {
	g                            ConvGeom
	x, w, b, out, dz, dx, dw, db []float32
}

func newBenchBufs(b *testing.B, c convCase, workers int) *benchBufs {
	g, err := NewConvGeom(c.n, c.c, c.h, c.w, c.f, c.k, c.stride, c.pad)
	if err != nil {
		b.Fatal(err)
	}
	g.Workers = workers
	r := rand.New(rand.NewPCG(1, 1))
	return &benchBufs{g: g, x: randSlice32(r, g.InSize()), w: randSlice32(r, g.WeightSize()),
		b: randSlice32(r, g.F), out: make([]float32, g.OutSize()), dz: randSlice32(r, g.OutSize()),
		dx: make([]float32, g.InSize()), dw: make([]float32, g.WeightSize()), db: make([]float32, g.F)}
}

func (bb *benchBufs) macs() float64 {
	g := bb.g
	return float64(g.N * g.F * g.OH * g.OW * g.C * g.K * g.K)
}

// BenchmarkConv reports each kernel's speed; compare the fast and ref
// sub-benchmarks for the speed-up (ref runs the reference loops).
func BenchmarkConv(b *testing.B) {
	for _, c := range benchLayers {
		for _, impl := range []string{"fast1", "wide1", "im2col1", "gather1", "blocks1", "shifted1", "noshift1", "fast", "ref"} {
			workers := 0
			if strings.HasSuffix(impl, "1") {
				workers = 1
			}
			mode := map[string]int{"wide1": wideAlways, "im2col1": wideNever}[impl]
			gmode := map[string]int{"gather1": gatherAlways, "blocks1": gatherNever}[impl]
			smode := map[string]int{"shifted1": shiftAlways, "im2col1": shiftNever, "gather1": shiftNever, "blocks1": shiftNever, "noshift1": shiftNever}[impl]
			bb := newBenchBufs(b, c, workers)
			g := bb.g
			run := map[string]func(){
				"fwd":  func() { Conv2DForward(g, bb.x, bb.w, bb.b, bb.out, true) },
				"bwdd": func() { Conv2DBackwardData(g, bb.w, bb.dz, bb.dx) },
				"bwdf": func() { Conv2DBackwardFilter(g, bb.x, bb.dz, bb.dw, bb.db) },
			}
			if impl == "ref" {
				run = map[string]func(){
					"fwd":  func() { refConv2DForward(g, bb.x, bb.w, bb.b, bb.out, true) },
					"bwdd": func() { refConv2DBackwardData(g, bb.w, bb.dz, bb.dx) },
					"bwdf": func() { refConv2DBackwardFilter(g, bb.x, bb.dz, bb.dw, bb.db) },
				}
			}
			for _, op := range []string{"fwd", "bwdd", "bwdf"} {
				if mode != wideAuto && op != "fwd" || gmode != gatherAuto && op == "bwdd" || impl == "noshift1" && op == "fwd" {
					continue // only the forward pass has a wide path, backward data no gathered im2col
				}
				f := run[op]
				b.Run(fmt.Sprintf("%s/%s/%s", c, op, impl), func(b *testing.B) {
					setModes(mode, gmode, smode)
					defer setModes(wideAuto, gatherAuto, shiftAuto)
					c0 := threadSeconds()
					for b.Loop() {
						f()
					}
					b.ReportMetric(bb.macs()*2*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					if cpu := threadSeconds() - c0; cpu > 0 {
						b.ReportMetric(bb.macs()*2*float64(b.N)/cpu/1e9, "threadGFLOP/s")
					}
				})
			}
		}
	}
}

func BenchmarkMaxPool(b *testing.B) {
	impls := append(Paths(), "ref")
	for _, impl := range impls {
		g, err := NewPoolGeom(128, 16, 32, 32, 2)
		if err != nil {
			b.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, 1))
		x, out, dx := randSlice32(r, g.InSize()), make([]float32, g.OutSize()), make([]float32, g.InSize())
		// The backward pass needs the true maxima: with others no window
		// matches, and the search is not what training sees.
		refMaxPoolForward(g, x, out)
		run := func(op string, fast, ref func()) {
			b.Run(op+"/"+impl, func(b *testing.B) {
				f := fast
				if impl == "ref" {
					f = ref
				} else {
					withPath(b, impl)
				}
				for b.Loop() {
					f()
				}
			})
		}
		run("fwd", func() { MaxPoolForward(g, x, out) }, func() { refMaxPoolForward(g, x, out) })
		run("bwd", func() { MaxPoolBackward(g, x, out, out, dx) }, func() { refMaxPoolBackward(g, x, out, out, dx) })
	}
}

func BenchmarkReLUGrad(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	n := 128 * 16 * 32 * 32
	out, dOut, dz := randSlice32(r, n), randSlice32(r, n), make([]float32, n)
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			ReLUGrad(out, dOut, dz, 0)
		}
	})
	b.Run("ref", func(b *testing.B) {
		for b.Loop() {
			refReLUGrad(out, dOut, dz)
		}
	})
}

// BenchmarkDense is the study's last layer (2048 → 10) at batch 128.
func BenchmarkDense(b *testing.B) {
	n, d, u := 128, 2048, 10
	r := rand.New(rand.NewPCG(1, 1))
	x, w, bias, dz := randSlice32(r, n*d), randSlice32(r, d*u), randSlice32(r, u), randSlice32(r, n*u)
	out, dx, dw := make([]float32, n*u), make([]float32, n*d), make([]float32, d*u)
	for _, impl := range []string{"fast1", "fast", "ref"} {
		workers := 0
		if impl == "fast1" {
			workers = 1
		}
		ops := []struct {
			name string
			f    func()
		}{
			{"fwd", func() { DenseForward(x, w, bias, out, n, d, u, true, workers) }},
			{"bwdd", func() { DenseBackwardData(dz, w, dx, n, d, u, workers) }},
			{"bwdf", func() { DenseBackwardFilter(x, dz, dw, n, d, u, workers) }},
		}
		if impl == "ref" {
			ops[0].f = func() { refDenseForward(x, w, bias, out, n, d, u, true) }
			ops[1].f = func() { refDenseBackwardData(dz, w, dx, n, d, u) }
			ops[2].f = func() { refDenseBackwardFilter(x, dz, dw, n, d, u) }
		}
		for _, op := range ops {
			b.Run(op.name+"/"+impl, func(b *testing.B) {
				for b.Loop() {
					op.f()
				}
			})
		}
	}
}
