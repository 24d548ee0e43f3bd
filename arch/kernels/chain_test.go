package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// chain builds the convCases of a chain on n images of c×h×w: one
// layer per (filters, kernel, stride, padding) step.
func chain(n, c, h, w int, layers ...convCase) []convCase {
	out := make([]convCase, len(layers))
	for i, l := range layers {
		l.n, l.c, l.h, l.w = n, c, h, w
		g, err := NewConvGeom(n, c, h, w, l.f, l.k, l.stride, l.pad)
		if err != nil {
			panic(err)
		}
		out[i] = l
		c, h, w = l.f, g.OH, g.OW
	}
	return out
}

// step is one layer of a chain: its filters, kernel, stride and padding.
func step(f, k, stride int, pad string) convCase {
	return convCase{f: f, k: k, stride: stride, pad: pad}
}

var chainCases = [][]convCase{
	// The study's leading convolutions: strided's four, maxpool's two,
	// deeper's six.
	chain(20, 3, 32, 32, step(16, 3, 1, "same"), step(16, 3, 2, "same"), step(32, 3, 1, "same"), step(32, 3, 2, "same")),
	chain(20, 3, 32, 32, step(16, 3, 1, "same"), step(16, 3, 1, "same")),
	chain(20, 3, 32, 32, step(8, 3, 1, "same"), step(8, 3, 2, "same"), step(16, 3, 1, "same"), step(16, 3, 2, "same"),
		step(32, 3, 1, "same"), step(32, 3, 2, "same")),
	// Odd sizes: valid padding, k 5 and 1, stride 3, F not a multiple of
	// 4, one image, a batch that does not split evenly, one layer.
	chain(3, 5, 7, 9, step(6, 5, 2, "valid"), step(7, 3, 1, "same"), step(2, 1, 1, "same")),
	chain(1, 2, 20, 21, step(9, 5, 3, "same"), step(4, 1, 1, "same")),
	chain(37, 3, 6, 5, step(4, 3, 1, "same"), step(5, 3, 2, "same")),
	chain(5, 3, 8, 8, step(8, 3, 2, "same")),
}

func chainName(cs []convCase) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.String()
	}
	return strings.Join(parts, "+")
}

func chainGeoms(t testing.TB, cs []convCase) []ConvGeom {
	gs := make([]ConvGeom, len(cs))
	for i, c := range cs {
		gs[i] = newGeom(t, c)
	}
	return gs
}

// chainBufs are a chain's operands, random, and its outputs and
// gradients.
type chainBufs struct {
	x, dy                []float32
	ws, bs, ys, dws, dbs [][]float32
}

func newChainBufs(r *rand.Rand, gs []ConvGeom) *chainBufs {
	k := len(gs)
	cb := &chainBufs{x: randSlice32(r, gs[0].InSize()), dy: randSlice32(r, gs[k-1].OutSize())}
	for _, g := range gs {
		cb.ws = append(cb.ws, randSlice32(r, g.WeightSize()))
		cb.bs = append(cb.bs, randSlice32(r, g.F))
		cb.ys = append(cb.ys, nans(g.OutSize()))
		cb.dws = append(cb.dws, nans(g.WeightSize()))
		cb.dbs = append(cb.dbs, nans(g.F))
	}
	return cb
}

// separate runs the chain's layers one call at a time: forward, then
// backward from cb.dy.
func (cb *chainBufs) separate(gs []ConvGeom) {
	for i, g := range gs {
		in := cb.x
		if i > 0 {
			in = cb.ys[i-1]
		}
		Conv2DForward(g, in, cb.ws[i], cb.bs[i], cb.ys[i], true)
	}
	dy := cb.dy
	for i := len(gs) - 1; i > 0; i-- {
		dx := make([]float32, gs[i].InSize())
		Conv2DBackwardReLU(gs[i], cb.ys[i-1], cb.ws[i], cb.ys[i], dy, dx, cb.dws[i], cb.dbs[i])
		dy = dx
	}
	Conv2DBackwardFilterReLU(gs[0], cb.x, cb.ys[0], dy, cb.dws[0], cb.dbs[0])
}

// TestConvChainMatchesSeparate checks a chain against its layers run one
// call at a time, bit for bit, on every kernel path and layout and for
// several worker counts: every layer's output forward, and every layer's
// filter and bias gradients from the same dy.
func TestConvChainMatchesSeparate(t *testing.T) {
	withPaths(t, func(t *testing.T) {
		withKernels(t, func(t *testing.T) {
			for i, cs := range chainCases {
				t.Run(chainName(cs), func(t *testing.T) {
					testConvChain(t, uint64(i), chainGeoms(t, cs))
				})
			}
		})
	})
}

func testConvChain(t *testing.T, seed uint64, gs []ConvGeom) {
	want := newChainBufs(rand.New(rand.NewPCG(seed, 21)), gs)
	want.separate(gs)
	if last := want.ys[len(gs)-1]; zeros(last) == 0 || zeros(last) == len(last) {
		t.Fatalf("the last ReLU cuts %d of %d values: the case tests no ReLU gradient", zeros(last), len(last))
	}
	for _, workers := range []int{1, 2, 3} {
		gs[0].Workers = workers
		got := newChainBufs(rand.New(rand.NewPCG(seed, 21)), gs)
		Conv2DChainForward(gs, got.x, got.ws, got.bs, got.ys)
		ws := append([][]float32{nil}, got.ws[1:]...) // the first's filters are not read
		Conv2DChainBackward(gs, got.x, got.ys, ws, got.dy, got.dws, got.dbs)
		for i := range gs {
			what := fmt.Sprintf("workers=%d: layer %d", workers, i+1)
			sameBits(t, what+": y", got.ys[i], want.ys[i])
			sameBits(t, what+": dw", got.dws[i], want.dws[i])
			sameBits(t, what+": db", got.dbs[i], want.dbs[i])
		}
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

// TestConvChainFloat64GradientCheck checks a chain's gradients in
// float64 against central finite differences of its forward pass for
// loss = Σ y·r over its last output y.
func TestConvChainFloat64GradientCheck(t *testing.T) {
	for i, cs := range [][]convCase{
		chain(2, 3, 6, 5, step(4, 3, 1, "same"), step(3, 3, 2, "same"), step(2, 3, 1, "same")),
		chain(1, 2, 7, 7, step(3, 3, 2, "valid"), step(2, 3, 1, "same")),
	} {
		t.Run(chainName(cs), func(t *testing.T) {
			gs := chainGeoms(t, cs)
			k := len(gs)
			rr := rand.New(rand.NewPCG(uint64(i), 5))
			rnd := func(n int) []float64 { return to64(randSlice32(rr, n)) }
			x := rnd(gs[0].InSize())
			var ws, bs, ys, dws, dbs [][]float64
			for _, g := range gs {
				ws, bs = append(ws, rnd(g.WeightSize())), append(bs, rnd(g.F))
				ys = append(ys, make([]float64, g.OutSize()))
				dws, dbs = append(dws, make([]float64, g.WeightSize())), append(dbs, make([]float64, g.F))
			}
			rw := rnd(gs[k-1].OutSize())
			loss := func() float64 {
				Conv2DChainForward(gs, x, ws, bs, ys)
				s := 0.0
				for j, v := range ys[k-1] {
					s += v * rw[j]
				}
				return s
			}
			loss()
			Conv2DChainBackward(gs, x, ys, ws, rw, dws, dbs)
			for l := range gs {
				for _, p := range []struct {
					name       string
					param, got []float64
				}{{"w", ws[l], dws[l]}, {"b", bs[l], dbs[l]}} {
					for j := range p.param {
						const h = 1e-6
						v := p.param[j]
						p.param[j] = v + h
						up := loss()
						p.param[j] = v - h
						down := loss()
						p.param[j] = v
						want := (up - down) / (2 * h)
						if math.Abs(p.got[j]-want) > 1e-5*(1+math.Abs(want)) {
							t.Errorf("layer %d: d%s[%d] = %.9g, finite difference %.9g", l+1, p.name, j, p.got[j], want)
						}
					}
				}
			}
		})
	}
}

// BenchmarkConvChain times the study's leading convolutions as a chain
// and as one call a layer, forward and backward, at batch 128: compare
// the chain and separate sub-benchmarks, in alternating rounds.
func BenchmarkConvChain(b *testing.B) {
	for _, cs := range chainCases[:3] {
		cs = chain(128, 3, 32, 32, cs...)
		for _, workers := range []int{1, 2} {
			gs := chainGeoms(b, cs)
			gs[0].Workers = workers
			for i := range gs {
				gs[i].Workers = workers
			}
			cb := newChainBufs(rand.New(rand.NewPCG(1, 1)), gs)
			k := len(gs)
			dxs := make([][]float32, k)
			for i, g := range gs {
				dxs[i] = make([]float32, g.InSize())
			}
			run := map[string]func(){
				"fwd/chain": func() { Conv2DChainForward(gs, cb.x, cb.ws, cb.bs, cb.ys) },
				"fwd/separate": func() {
					for i, g := range gs {
						in := cb.x
						if i > 0 {
							in = cb.ys[i-1]
						}
						Conv2DForward(g, in, cb.ws[i], cb.bs[i], cb.ys[i], true)
					}
				},
				"bwd/chain": func() { Conv2DChainBackward(gs, cb.x, cb.ys, cb.ws, cb.dy, cb.dws, cb.dbs) },
				"bwd/separate": func() {
					dy := cb.dy
					for i := k - 1; i > 0; i-- {
						Conv2DBackwardReLU(gs[i], cb.ys[i-1], cb.ws[i], cb.ys[i], dy, dxs[i], cb.dws[i], cb.dbs[i])
						dy = dxs[i]
					}
					Conv2DBackwardFilterReLU(gs[0], cb.x, cb.ys[0], dy, cb.dws[0], cb.dbs[0])
				},
			}
			for _, name := range []string{"fwd/chain", "fwd/separate", "bwd/chain", "bwd/separate"} {
				f := run[name]
				b.Run(fmt.Sprintf("layers=%d_f%d/workers=%d/%s", k, cs[0].f, workers, name), func(b *testing.B) {
					for b.Loop() {
						f()
					}
				})
			}
		}
	}
}
