package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// pairCases are pairs of convolutions, the second of the first's output.
var pairCases = []struct{ first, second convCase }{
	// The study's first two layers: strided, maxpool, deeper.
	{convCase{20, 3, 32, 32, 16, 3, 1, "same"}, convCase{20, 16, 32, 32, 16, 3, 2, "same"}},
	{convCase{20, 3, 32, 32, 16, 3, 1, "same"}, convCase{20, 16, 32, 32, 16, 3, 1, "same"}},
	{convCase{20, 3, 32, 32, 8, 3, 1, "same"}, convCase{20, 8, 32, 32, 8, 3, 2, "same"}},
	// Odd sizes: valid padding, k 5 and 1, stride 3, F not a multiple of
	// 4, one image, a batch that does not split evenly.
	{convCase{3, 5, 7, 9, 6, 5, 2, "valid"}, convCase{3, 6, 2, 3, 7, 3, 1, "same"}},
	{convCase{1, 2, 20, 21, 9, 5, 3, "same"}, convCase{1, 9, 7, 7, 4, 1, 1, "same"}},
	{convCase{37, 3, 6, 5, 4, 3, 1, "same"}, convCase{37, 4, 6, 5, 5, 3, 2, "same"}},
}

// TestConvPairMatchesSeparate checks a pair against its two layers run
// one after the other, bit for bit, on every kernel path and layout and
// for several worker counts: y1 and y2 forward, and both layers' filter
// and bias gradients from the same dy2.
func TestConvPairMatchesSeparate(t *testing.T) {
	withPaths(t, func(t *testing.T) {
		withKernels(t, func(t *testing.T) {
			for i, pc := range pairCases {
				t.Run(pc.first.String()+"+"+pc.second.String(), func(t *testing.T) {
					testConvPair(t, uint64(i), newGeom(t, pc.first), newGeom(t, pc.second))
				})
			}
		})
	})
}

func testConvPair(t *testing.T, seed uint64, g1, g2 ConvGeom) {
	r := rand.New(rand.NewPCG(seed, 21))
	x := randSlice32(r, g1.InSize())
	w1, b1 := randSlice32(r, g1.WeightSize()), randSlice32(r, g1.F)
	w2, b2 := randSlice32(r, g2.WeightSize()), randSlice32(r, g2.F)
	dy2 := randSlice32(r, g2.OutSize())

	wantY1, wantY2 := make([]float32, g1.OutSize()), make([]float32, g2.OutSize())
	Conv2DForward(g1, x, w1, b1, wantY1, true)
	Conv2DForward(g2, wantY1, w2, b2, wantY2, true)
	dy1 := make([]float32, g1.OutSize())
	wantDw1, wantDb1 := make([]float32, g1.WeightSize()), make([]float32, g1.F)
	wantDw2, wantDb2 := make([]float32, g2.WeightSize()), make([]float32, g2.F)
	Conv2DBackwardReLU(g2, wantY1, w2, wantY2, dy2, dy1, wantDw2, wantDb2)
	Conv2DBackwardFilterReLU(g1, x, wantY1, dy1, wantDw1, wantDb1)
	if zeros(wantY2) == 0 || zeros(wantY2) == len(wantY2) {
		t.Fatalf("the second ReLU cuts %d of %d values: the case tests no ReLU gradient", zeros(wantY2), len(wantY2))
	}

	for _, workers := range []int{1, 2, 3} {
		g1.Workers = workers
		what := fmt.Sprintf("workers=%d", workers)
		y1, y2 := nans(g1.OutSize()), nans(g2.OutSize())
		Conv2DPairForward(g1, g2, x, w1, b1, y1, w2, b2, y2)
		sameBits(t, what+": y1", y1, wantY1)
		sameBits(t, what+": y2", y2, wantY2)
		dw1, db1 := nans(g1.WeightSize()), nans(g1.F)
		dw2, db2 := nans(g2.WeightSize()), nans(g2.F)
		Conv2DPairBackward(g1, g2, x, y1, w2, y2, dy2, dw1, db1, dw2, db2)
		sameBits(t, what+": dw1", dw1, wantDw1)
		sameBits(t, what+": db1", db1, wantDb1)
		sameBits(t, what+": dw2", dw2, wantDw2)
		sameBits(t, what+": db2", db2, wantDb2)
	}
}

// nans is n NaNs: every value of an output must be written.
func nans(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(math.NaN())
	}
	return s
}

func zeros(s []float32) int {
	n := 0
	for _, v := range s {
		if v == 0 {
			n++
		}
	}
	return n
}

// TestConvPairFloat64GradientCheck checks a pair's four gradients in
// float64 against central finite differences of its forward pass for
// loss = Σ y2·r.
func TestConvPairFloat64GradientCheck(t *testing.T) {
	for i, pc := range []struct{ first, second convCase }{
		{convCase{2, 3, 6, 5, 4, 3, 1, "same"}, convCase{2, 4, 6, 5, 3, 3, 2, "same"}},
		{convCase{1, 2, 7, 7, 3, 3, 2, "valid"}, convCase{1, 3, 3, 3, 2, 3, 1, "same"}},
	} {
		t.Run(pc.first.String()+"+"+pc.second.String(), func(t *testing.T) {
			g1, g2 := newGeom(t, pc.first), newGeom(t, pc.second)
			rr := rand.New(rand.NewPCG(uint64(i), 5))
			rnd := func(n int) []float64 { return to64(randSlice32(rr, n)) }
			x, w1, b1, w2, b2 := rnd(g1.InSize()), rnd(g1.WeightSize()), rnd(g1.F), rnd(g2.WeightSize()), rnd(g2.F)
			rw := rnd(g2.OutSize())
			y1, y2 := make([]float64, g1.OutSize()), make([]float64, g2.OutSize())
			loss := func() float64 {
				Conv2DPairForward(g1, g2, x, w1, b1, y1, w2, b2, y2)
				s := 0.0
				for k, v := range y2 {
					s += v * rw[k]
				}
				return s
			}
			loss()
			dw1, db1 := make([]float64, g1.WeightSize()), make([]float64, g1.F)
			dw2, db2 := make([]float64, g2.WeightSize()), make([]float64, g2.F)
			Conv2DPairBackward(g1, g2, x, y1, w2, y2, rw, dw1, db1, dw2, db2)
			for _, p := range []struct {
				name       string
				param, got []float64
			}{{"w1", w1, dw1}, {"b1", b1, db1}, {"w2", w2, dw2}, {"b2", b2, db2}} {
				for k := range p.param {
					const h = 1e-6
					v := p.param[k]
					p.param[k] = v + h
					up := loss()
					p.param[k] = v - h
					down := loss()
					p.param[k] = v
					want := (up - down) / (2 * h)
					if math.Abs(p.got[k]-want) > 1e-5*(1+math.Abs(want)) {
						t.Errorf("d%s[%d] = %.9g, finite difference %.9g", p.name, k, p.got[k], want)
					}
				}
			}
		})
	}
}

// BenchmarkConvPair times the study's first two layers as a pair and as
// two separate calls, forward and backward, at batch 128: compare the
// pair and separate sub-benchmarks, in alternating rounds.
func BenchmarkConvPair(b *testing.B) {
	for _, pc := range pairCases[:3] {
		first, second := pc.first, pc.second
		first.n, second.n = 128, 128
		for _, workers := range []int{1, 2} {
			g1, g2 := newGeom(b, first), newGeom(b, second)
			g1.Workers, g2.Workers = workers, workers
			r := rand.New(rand.NewPCG(1, 1))
			x, w1, b1 := randSlice32(r, g1.InSize()), randSlice32(r, g1.WeightSize()), randSlice32(r, g1.F)
			w2, b2, dy2 := randSlice32(r, g2.WeightSize()), randSlice32(r, g2.F), randSlice32(r, g2.OutSize())
			y1, y2, dy1 := make([]float32, g1.OutSize()), make([]float32, g2.OutSize()), make([]float32, g1.OutSize())
			dw1, db1 := make([]float32, g1.WeightSize()), make([]float32, g1.F)
			dw2, db2 := make([]float32, g2.WeightSize()), make([]float32, g2.F)
			run := map[string]func(){
				"fwd/pair": func() { Conv2DPairForward(g1, g2, x, w1, b1, y1, w2, b2, y2) },
				"fwd/separate": func() {
					Conv2DForward(g1, x, w1, b1, y1, true)
					Conv2DForward(g2, y1, w2, b2, y2, true)
				},
				"bwd/pair": func() { Conv2DPairBackward(g1, g2, x, y1, w2, y2, dy2, dw1, db1, dw2, db2) },
				"bwd/separate": func() {
					Conv2DBackwardReLU(g2, y1, w2, y2, dy2, dy1, dw2, db2)
					Conv2DBackwardFilterReLU(g1, x, y1, dy1, dw1, db1)
				},
			}
			for _, name := range []string{"fwd/pair", "fwd/separate", "bwd/pair", "bwd/separate"} {
				f := run[name]
				b.Run(fmt.Sprintf("%s+%s/workers=%d/%s", first, second, workers, name), func(b *testing.B) {
					for b.Loop() {
						f()
					}
				})
			}
		}
	}
}
