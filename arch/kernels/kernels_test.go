package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

type convCase struct {
	n, c, h, w, f, k, stride int
	pad                      string
}

func (c convCase) String() string {
	return fmt.Sprintf("n%d_c%d_%dx%d_f%d_k%d_s%d_%s", c.n, c.c, c.h, c.w, c.f, c.k, c.stride, c.pad)
}

var convCases = []convCase{
	// The study's layers (small batches keep the float64 reference fast).
	{2, 3, 32, 32, 16, 3, 1, "same"},
	{2, 16, 32, 32, 16, 3, 2, "same"},
	{2, 16, 16, 16, 32, 3, 1, "same"},
	{2, 32, 16, 16, 32, 3, 2, "same"},
	{2, 3, 32, 32, 8, 3, 1, "same"},
	{2, 8, 32, 32, 8, 3, 2, "same"},
	{2, 32, 8, 8, 32, 3, 2, "same"},
	{2, 32, 8, 8, 32, 3, 1, "same"},
	{2, 4, 8, 8, 16, 3, 2, "same"}, // input and output of one size
	// Odd sizes, valid padding, k = 1 and 5, stride 2 and 3, F not a
	// multiple of 4, outputs not a multiple of 16.
	{1, 1, 1, 1, 1, 1, 1, "same"},
	{1, 1, 3, 3, 1, 3, 1, "same"},
	{3, 5, 7, 9, 6, 5, 2, "valid"},
	{3, 5, 7, 9, 6, 5, 2, "same"},
	{2, 4, 9, 7, 3, 1, 1, "same"},
	{2, 4, 9, 7, 5, 1, 2, "valid"},
	{2, 3, 11, 13, 7, 3, 3, "same"},
	{2, 2, 5, 5, 9, 5, 1, "same"},
	{1, 7, 6, 6, 17, 3, 2, "valid"},
	{1, 6, 4, 4, 33, 3, 1, "same"},
	{2, 3, 2, 2, 4, 5, 1, "same"},
	{2, 3, 3, 8, 4, 3, 2, "same"},
	{2, 3, 17, 19, 5, 3, 2, "same"},
	{1, 2, 19, 18, 4, 3, 2, "valid"},
	{1, 2, 20, 21, 8, 5, 3, "same"},
	// Batch 128 over small images: every worker split.
	{128, 3, 6, 5, 4, 3, 1, "same"},
	{128, 2, 7, 7, 5, 3, 2, "same"},
}

func randSlice32(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.Float64()*2 - 1)
	}
	return s
}

func to64(s []float32) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

func abs64(s []float64) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = math.Abs(v)
	}
	return out
}

// checkClose compares got against the float64 reference want; mag holds
// the sum of the magnitudes of the terms behind each value, which bounds
// float32 rounding. A single missing or extra term is far above the
// tolerance for the sizes tested.
func checkClose(t *testing.T, what string, got []float32, want, mag []float64) {
	t.Helper()
	if len(got) < len(want) {
		t.Fatalf("%s: got %d values, want %d", what, len(got), len(want))
	}
	bad := 0
	for i := range want {
		tol := 2e-5*mag[i] + 1e-30
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= tol) {
			if bad < 5 {
				t.Errorf("%s[%d] = %g, want %g (|diff| %g > tol %g)", what, i, got[i], want[i], d, tol)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values differ", what, bad, len(want))
	}
}

func newGeom(t testing.TB, c convCase) ConvGeom {
	t.Helper()
	g, err := NewConvGeom(c.n, c.c, c.h, c.w, c.f, c.k, c.stride, c.pad)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// withPaths runs f with the forward pass forced onto each of its paths
// (padded images, im2col by block copies, gathered im2col, shifted
// planes) and the
// filter gradient onto each im2col.
func withPaths(t *testing.T, f func(t *testing.T)) {
	for _, m := range []struct {
		name               string
		wide, gathr, shift int
	}{
		{"wide", wideAlways, gatherNever, shiftNever},
		{"im2col", wideNever, gatherNever, shiftNever},
		{"gather", wideNever, gatherAlways, shiftNever},
		{"shifted", wideNever, gatherNever, shiftAlways},
	} {
		t.Run(m.name, func(t *testing.T) {
			setModes(m.wide, m.gathr, m.shift)
			defer setModes(wideAuto, gatherAuto, shiftAuto)
			f(t)
		})
	}
}

// setModes forces the forward pass's and im2col's choices of path.
func setModes(wide, gathr, shift int) {
	wideMode, gatherMode, shiftMode = wide, gathr, shift
}

// withKernels runs f on every kernel path this CPU has (avx512, avx2, go).
func withKernels(t *testing.T, f func(t *testing.T)) {
	for _, p := range Paths() {
		t.Run(p, func(t *testing.T) {
			withPath(t, p)
			f(t)
		})
	}
}

// withSIMDPaths runs f as a subtest on each assembly path this CPU has
// (avx512, avx2), skipping where it has neither.
func withSIMDPaths(t *testing.T, f func(t *testing.T)) {
	ran := false
	for _, p := range Paths() {
		if p == PathGo {
			continue
		}
		ran = true
		t.Run(p, func(t *testing.T) {
			withPath(t, p)
			f(t)
		})
	}
	if !ran {
		t.Skip("this CPU has neither AVX-512F nor AVX2 with FMA")
	}
}

// withPath selects kernel path p until t ends.
func withPath(t testing.TB, p string) {
	t.Helper()
	prev := Path()
	if err := SetPath(p); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := SetPath(prev); err != nil {
			t.Fatal(err)
		}
	})
}

func TestConvFloat32MatchesReference(t *testing.T) {
	withPaths(t, func(t *testing.T) { testConvFloat32(t) })
}

func testConvFloat32(t *testing.T) {
	withKernels(t, func(t *testing.T) {
		for i, c := range convCases {
			t.Run(c.String(), func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(i), 7))
				g := newGeom(t, c)
				x := randSlice32(r, g.InSize())
				w := randSlice32(r, g.WeightSize())
				b := randSlice32(r, g.F)
				dz := randSlice32(r, g.OutSize())
				x64, w64, b64, dz64 := to64(x), to64(w), to64(b), to64(dz)
				ax, aw, ab, adz := abs64(x64), abs64(w64), abs64(b64), abs64(dz64)

				for _, relu := range []bool{false, true} {
					want := make([]float64, g.OutSize())
					mag := make([]float64, g.OutSize())
					refConv2DForward(g, x64, w64, b64, want, relu)
					refConv2DForward(g, ax, aw, ab, mag, false)
					for _, workers := range []int{0, 1, 3} {
						g.Workers = workers
						got := make([]float32, g.OutSize())
						for k := range got {
							got[k] = float32(math.NaN()) // every value must be written
						}
						Conv2DForward(g, x, w, b, got, relu)
						checkClose(t, fmt.Sprintf("forward relu=%v workers=%d", relu, workers), got, want, mag)
					}
				}

				wantDx := make([]float64, g.InSize())
				magDx := make([]float64, g.InSize())
				refConv2DBackwardData(g, w64, dz64, wantDx)
				refConv2DBackwardData(g, aw, adz, magDx)
				wantDw := make([]float64, g.WeightSize())
				wantDb := make([]float64, g.F)
				magDw := make([]float64, g.WeightSize())
				magDb := make([]float64, g.F)
				refConv2DBackwardFilter(g, x64, dz64, wantDw, wantDb)
				refConv2DBackwardFilter(g, ax, adz, magDw, magDb)
				var dw1, db1 []float32
				for _, workers := range []int{1, 0, 2, 5} {
					g.Workers = workers
					dx := randSlice32(r, g.InSize()) // stale values must be overwritten
					Conv2DBackwardData(g, w, dz, dx)
					checkClose(t, fmt.Sprintf("dx workers=%d", workers), dx, wantDx, magDx)
					dw := randSlice32(r, g.WeightSize())
					db := randSlice32(r, g.F)
					Conv2DBackwardFilter(g, x, dz, dw, db)
					checkClose(t, fmt.Sprintf("dw workers=%d", workers), dw, wantDw, magDw)
					checkClose(t, fmt.Sprintf("db workers=%d", workers), db, wantDb, magDb)
					// The sums' rounding does not depend on the worker count.
					if dw1 == nil {
						dw1, db1 = dw, db
					} else if !slices.Equal(dw, dw1) || !slices.Equal(db, db1) {
						t.Errorf("workers=%d: filter gradient differs bitwise from workers=1", workers)
					}
				}
			})
		}
	})
}

// TestFilterGradChunkSum checks the last step of the filter gradient bit
// for bit: dw and db are the per-chunk sums added in chunk order 0, 1, 2,
// ..., as a plain serial loop over the chunks adds them.
func TestFilterGradChunkSum(t *testing.T) {
	withKernels(t, func(t *testing.T) {
		for i, c := range convCases {
			r := rand.New(rand.NewPCG(uint64(i), 13))
			g := newGeom(t, c)
			g.Workers = 3
			x, dz := randSlice32(r, g.InSize()), randSlice32(r, g.OutSize())
			j := getConvJob(jobBackFilter, g)
			j.x, j.dz = x, dz
			runParallel(j, j.parts, &j.wg)
			if want := min(g.N, sumChunks); j.chunks != want {
				t.Fatalf("%v: %d chunks, want %d", c, j.chunks, want)
			}
			kk, f16 := g.C*g.K*g.K, roundUp(g.F, 16)
			wantDw, wantDb := make([]float32, g.WeightSize()), make([]float32, g.F)
			for f := 0; f < g.F; f++ {
				s := j.dbs[0][f]
				for ck := 1; ck < j.chunks; ck++ {
					s += j.dbs[ck][f]
				}
				wantDb[f] = s
				for row := 0; row < kk; row++ {
					ar := j.accRow(row)
					v := j.acc[0][ar*f16+f]
					for ck := 1; ck < j.chunks; ck++ {
						v += j.acc[ck][ar*f16+f]
					}
					wantDw[f*kk+row] = v
				}
			}
			dw, db := randSlice32(r, g.WeightSize()), randSlice32(r, g.F)
			j.sumFilterChunks(dw, db)
			putConvJob(j)
			sameBits(t, fmt.Sprintf("%v: dw", c), dw, wantDw)
			sameBits(t, fmt.Sprintf("%v: db", c), db, wantDb)
		}
	})
}

// TestConvFloat32Batch128 runs a study layer at the training batch size
// against the reference run in float32 (same input, same arithmetic type).
func TestConvFloat32Batch128(t *testing.T) {
	if testing.Short() {
		t.Skip("reference loops at batch 128 take a few seconds")
	}
	r := rand.New(rand.NewPCG(3, 3))
	g, err := NewConvGeom(128, 16, 16, 16, 32, 3, 2, "same")
	if err != nil {
		t.Fatal(err)
	}
	x := randSlice32(r, g.InSize())
	w := randSlice32(r, g.WeightSize())
	b := randSlice32(r, g.F)
	dz := randSlice32(r, g.OutSize())
	want := make([]float64, g.OutSize())
	mag := make([]float64, g.OutSize())
	refConv2DForward(g, to64(x), to64(w), to64(b), want, true)
	refConv2DForward(g, abs64(to64(x)), abs64(to64(w)), abs64(to64(b)), mag, false)
	got := make([]float32, g.OutSize())
	Conv2DForward(g, x, w, b, got, true)
	checkClose(t, "forward", got, want, mag)

	wantDx := make([]float64, g.InSize())
	magDx := make([]float64, g.InSize())
	refConv2DBackwardData(g, to64(w), to64(dz), wantDx)
	refConv2DBackwardData(g, abs64(to64(w)), abs64(to64(dz)), magDx)
	dx := make([]float32, g.InSize())
	Conv2DBackwardData(g, w, dz, dx)
	checkClose(t, "dx", dx, wantDx, magDx)

	// The filter gradient sums 128·64 terms per value, where one term is
	// below the general tolerance; compare each image's share instead by
	// checking batches of one against the batched sum.
	dw := make([]float32, g.WeightSize())
	db := make([]float32, g.F)
	Conv2DBackwardFilter(g, x, dz, dw, db)
	sumDw := make([]float64, g.WeightSize())
	sumDb := make([]float64, g.F)
	g1 := g
	g1.N = 1
	in, out := g.C*g.H*g.W, g.F*g.OH*g.OW
	dw1 := make([]float64, g.WeightSize())
	db1 := make([]float64, g.F)
	for n := 0; n < g.N; n++ {
		refConv2DBackwardFilter(g1, to64(x[n*in:(n+1)*in]), to64(dz[n*out:(n+1)*out]), dw1, db1)
		for i := range dw1 {
			sumDw[i] += dw1[i]
		}
		for i := range db1 {
			sumDb[i] += db1[i]
		}
	}
	for i := range sumDw {
		if d := math.Abs(float64(dw[i]) - sumDw[i]); d > 1e-3 {
			t.Fatalf("dw[%d] = %g, want %g", i, dw[i], sumDw[i])
		}
	}
	for i := range sumDb {
		if d := math.Abs(float64(db[i]) - sumDb[i]); d > 1e-3 {
			t.Fatalf("db[%d] = %g, want %g", i, db[i], sumDb[i])
		}
	}
}

// TestConvFloat64GradientCheck checks the float64 kernels against central
// finite differences of the forward pass for loss = Σ out·r.
func TestConvFloat64GradientCheck(t *testing.T) {
	cases := []convCase{
		{2, 3, 5, 6, 4, 3, 1, "same"},
		{2, 2, 7, 5, 3, 3, 2, "same"},
		{1, 2, 6, 6, 2, 5, 2, "valid"},
		{1, 3, 4, 4, 2, 1, 1, "same"},
	}
	for i, c := range cases {
		t.Run(c.String(), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(i), 11))
			g := newGeom(t, c)
			x := to64(randSlice32(r, g.InSize()))
			w := to64(randSlice32(r, g.WeightSize()))
			b := to64(randSlice32(r, g.F))
			rr := to64(randSlice32(r, g.OutSize()))
			out := make([]float64, g.OutSize())
			loss := func() float64 {
				Conv2DForward(g, x, w, b, out, false)
				s := 0.0
				for k := range out {
					s += out[k] * rr[k]
				}
				return s
			}
			dx := make([]float64, g.InSize())
			dw := make([]float64, g.WeightSize())
			db := make([]float64, g.F)
			Conv2DBackwardData(g, w, rr, dx)
			Conv2DBackwardFilter(g, x, rr, dw, db)
			const h = 1e-6
			check := func(name string, p []float64, grad []float64) {
				for k := range p {
					old := p[k]
					p[k] = old + h
					lp := loss()
					p[k] = old - h
					lm := loss()
					p[k] = old
					num := (lp - lm) / (2 * h)
					if math.Abs(num-grad[k]) > 1e-7*(1+math.Abs(num)) {
						t.Fatalf("d%s[%d] = %.12g, finite difference %.12g", name, k, grad[k], num)
					}
				}
			}
			check("x", x, dx)
			check("w", w, dw)
			check("b", b, db)
		})
	}
}

func TestConvHandWorked(t *testing.T) {
	// 3×3 image 1..9, one all-ones 3×3 filter, bias 0.5, same padding:
	// each output is the sum of the in-bounds neighbourhood plus 0.5.
	g, err := NewConvGeom(1, 1, 3, 3, 1, 3, 1, "same")
	if err != nil {
		t.Fatal(err)
	}
	x := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	w := []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}
	out := make([]float32, 9)
	Conv2DForward(g, x, w, []float32{0.5}, out, false)
	want := []float32{12.5, 21.5, 16.5, 27.5, 45.5, 33.5, 24.5, 39.5, 28.5}
	for i := range want {
		if out[i] != want[i] {
			t.Fatalf("out = %v, want %v", out, want)
		}
	}
	// Stride 2 'same' on 4×4 pads only after (Keras): output (0,0) sees
	// rows/cols 0..1 at kernel offsets 1..2... with pad (0,1): it sees
	// rows 0..2, cols 0..2.
	g2, err := NewConvGeom(1, 1, 4, 4, 1, 3, 2, "same")
	if err != nil {
		t.Fatal(err)
	}
	x2 := make([]float32, 16)
	for i := range x2 {
		x2[i] = float32(i)
	}
	w2 := make([]float32, 9)
	w2[0] = 1 // top-left tap picks x[2oy][2ox]
	out2 := make([]float32, 4)
	Conv2DForward(g2, x2, w2, []float32{0}, out2, false)
	want2 := []float32{0, 2, 8, 10}
	for i := range want2 {
		if out2[i] != want2[i] {
			t.Fatalf("stride 2 out = %v, want %v", out2, want2)
		}
	}
}

func TestReLUGrad(t *testing.T) {
	withKernels(t, func(t *testing.T) {
		for _, n := range []int{0, 1, 7, 8, 9, 31, 1000, 1 << 16, 1<<16 + 5} {
			r := rand.New(rand.NewPCG(uint64(n), 1))
			out := randSlice32(r, n)
			for i := 0; i < n; i += 5 {
				out[i] = 0
			}
			if n > 3 {
				out[3] = float32(math.Copysign(0, -1))
			}
			dOut := randSlice32(r, n)
			for _, workers := range []int{0, 1, 3} {
				dz := randSlice32(r, n)
				ReLUGrad(out, dOut, dz, workers)
				for i := range out {
					want := float32(0)
					if out[i] > 0 {
						want = dOut[i]
					}
					if dz[i] != want {
						t.Fatalf("n=%d workers=%d: dz[%d] = %g, want %g (out %g)", n, workers, i, dz[i], want, out[i])
					}
				}
			}
		}
	})
}

func TestMaxPool(t *testing.T) {
	cases := []struct{ n, c, h, w, p int }{
		{1, 1, 2, 2, 2}, {2, 3, 32, 32, 2}, {128, 16, 8, 8, 2}, {3, 2, 7, 9, 2},
		{2, 3, 9, 10, 3}, {1, 2, 5, 5, 1}, {4, 4, 6, 6, 4},
		{2, 2, 4, 66, 2}, {1, 3, 6, 36, 2}, {1, 1, 2, 2 * 17, 2}, // 16-window steps and lane-masked tails
	}
	withKernels(t, func(t *testing.T) { testMaxPool(t, cases) })
}

func testMaxPool(t *testing.T, cases []struct{ n, c, h, w, p int }) {
	for i, c := range cases {
		t.Run(fmt.Sprint(c), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(i), 5))
			g, err := NewPoolGeom(c.n, c.c, c.h, c.w, c.p)
			if err != nil {
				t.Fatal(err)
			}
			// Few distinct values so that windows hold ties.
			x := make([]float32, g.InSize())
			for k := range x {
				x[k] = float32(r.IntN(4))
			}
			dOut := randSlice32(r, g.OutSize())
			want := make([]float32, g.OutSize())
			refMaxPoolForward(g, x, want)
			wantDx := make([]float32, g.InSize())
			refMaxPoolBackward(g, x, want, dOut, wantDx)
			for _, workers := range []int{0, 1, 3} {
				g.Workers = workers
				got := randSlice32(r, g.OutSize())
				MaxPoolForward(g, x, got)
				dx := randSlice32(r, g.InSize())
				MaxPoolBackward(g, x, got, dOut, dx)
				for k := range want {
					if got[k] != want[k] {
						t.Fatalf("workers=%d: out[%d] = %g, want %g", workers, k, got[k], want[k])
					}
				}
				for k := range wantDx {
					if dx[k] != wantDx[k] {
						t.Fatalf("workers=%d: dx[%d] = %g, want %g", workers, k, dx[k], wantDx[k])
					}
				}
			}
		})
	}
}

func TestMaxPoolHandWorked(t *testing.T) {
	g, err := NewPoolGeom(1, 1, 2, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	x := []float32{1, 3, 5, 5, 3, 2, 5, 0}
	out := make([]float32, 2)
	MaxPoolForward(g, x, out)
	if out[0] != 3 || out[1] != 5 {
		t.Fatalf("out = %v, want [3 5]", out)
	}
	dx := make([]float32, 8)
	MaxPoolBackward(g, x, out, []float32{10, 20}, dx)
	// First maximum in row-major order: x[1] for the first window, x[2]
	// (not x[3] or x[6]) for the second.
	want := []float32{0, 10, 20, 0, 0, 0, 0, 0}
	for i := range want {
		if dx[i] != want[i] {
			t.Fatalf("dx = %v, want %v", dx, want)
		}
	}
}

func TestNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector drops sync.Pool items on purpose")
	}
	if forceRef {
		t.Skip("the reference loops (-tags refkernels) allocate their scratch")
	}
	g, err := NewConvGeom(8, 16, 16, 16, 32, 3, 2, "same")
	if err != nil {
		t.Fatal(err)
	}
	g.Workers = 2
	r := rand.New(rand.NewPCG(1, 2))
	x, w, b := randSlice32(r, g.InSize()), randSlice32(r, g.WeightSize()), randSlice32(r, g.F)
	out, dz := make([]float32, g.OutSize()), randSlice32(r, g.OutSize())
	dx, dw, db := make([]float32, g.InSize()), make([]float32, g.WeightSize()), make([]float32, g.F)
	pg, err := NewPoolGeom(8, 16, 16, 16, 2)
	if err != nil {
		t.Fatal(err)
	}
	pg.Workers = 2
	pout := make([]float32, pg.OutSize())
	dw2 := randSlice32(r, 512*10)
	g0, err := NewConvGeom(8, 3, 32, 32, 16, 3, 1, "same")
	if err != nil {
		t.Fatal(err)
	}
	g0.Workers = 2
	x0, w0, b0 := randSlice32(r, g0.InSize()), randSlice32(r, g0.WeightSize()), randSlice32(r, g0.F)
	y0, dw0, db0 := make([]float32, g0.OutSize()), make([]float32, g0.WeightSize()), make([]float32, g0.F)
	gp, err := NewConvGeom(8, 16, 32, 32, 16, 3, 2, "same")
	if err != nil {
		t.Fatal(err)
	}
	wp, bp := randSlice32(r, gp.WeightSize()), randSlice32(r, gp.F)
	yp, dyp, dwp := make([]float32, gp.OutSize()), randSlice32(r, gp.OutSize()), make([]float32, gp.WeightSize())
	chain := []ConvGeom{g0, gp}
	ws, bs, ys := [][]float32{w0, wp}, [][]float32{b0, bp}, [][]float32{y0, yp}
	dws, dbs := [][]float32{dw0, dwp}, [][]float32{db0, make([]float32, gp.F)}
	step := func() {
		Conv2DChainForward(chain, x0, ws, bs, ys)
		Conv2DChainBackward(chain, x0, ys, ws, dyp, dws, dbs)
		Conv2DForward(g, x, w, b, out, true)
		ReLUGrad(out, dz, dz, 2)
		Conv2DBackwardData(g, w, dz, dx)
		Conv2DBackwardFilter(g, x, dz, dw, db)
		Conv2DBackwardFilterReLU(g, x, out, dz, dw, db)
		Conv2DBackwardReLU(g, x, w, out, dz, dx, dw, db)
		MaxPoolForward(pg, x, pout)
		MaxPoolBackward(pg, x, pout, pout, dx)
		BiasGrad(dz, db, g.N, g.F, g.OH*g.OW, 2)
		DenseForward(x[:8*512], dw2, b[:10], out[:80], 8, 512, 10, true, 2)
		DenseBackwardData(out[:80], dw2, dx[:8*512], 8, 512, 10, 2)
		DenseBackwardFilter(x[:8*512], out[:80], dw2, 8, 512, 10, 2)
	}
	step()
	if a := testing.AllocsPerRun(20, step); a != 0 {
		t.Fatalf("a warm training step allocates %v times", a)
	}
}

func TestShortSlicesFailLikeIndexing(t *testing.T) {
	g, err := NewConvGeom(2, 3, 4, 4, 2, 3, 1, "same")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a too-short output slice did not fail")
		}
	}()
	x := make([]float32, g.InSize())
	Conv2DForward(g, x, make([]float32, g.WeightSize()), make([]float32, g.F), make([]float32, g.OutSize()-1), false)
}

func TestInterleave(t *testing.T) {
	withKernels(t, func(t *testing.T) {
		for n := 0; n < 40; n++ {
			src := make([]float32, 2*n+1) // one spare value must stay unread
			for i := range src {
				src[i] = float32(i)
			}
			even, odd := make([]float32, n), make([]float32, n)
			deinterleave2(src, even, odd)
			for i := 0; i < n; i++ {
				if even[i] != float32(2*i) || odd[i] != float32(2*i+1) {
					t.Fatalf("n=%d: even[%d], odd[%d] = %g, %g; want %d, %d", n, i, i, even[i], odd[i], 2*i, 2*i+1)
				}
			}
			dst := make([]float32, 2*n+1)
			dst[2*n] = -1
			interleave2(dst, even, odd)
			for i := 0; i < 2*n; i++ {
				if dst[i] != float32(i) {
					t.Fatalf("n=%d: interleaved[%d] = %g, want %d", n, i, dst[i], i)
				}
			}
			if dst[2*n] != -1 {
				t.Fatalf("n=%d: interleave wrote past 2n", n)
			}
		}
	})
}

func TestGEMMKernels(t *testing.T) {
	// gemm against a plain triple loop, with bias, accumulation, ReLU and
	// depths that cross the kcBlock boundary.
	r := rand.New(rand.NewPCG(9, 9))
	for _, s := range [][3]int{{4, 16, 1}, {8, 32, 27}, {12, 48, 257}, {4, 16, 600}, {24, 16, 5}, {16, 80, 3}, {44, 16, 260}} {
		m, n, k := s[0], s[1], s[2]
		for _, flags := range []int{0, kReLU, kAccum, kAccum | kReLU} {
			for _, withBias := range []bool{false, true} {
				withKernels(t, func(t *testing.T) {
					a, b := randSlice32(r, m*k), randSlice32(r, k*n)
					c0 := randSlice32(r, m*n)
					bias := randSlice32(r, m)
					want := make([]float64, m*n)
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							v := 0.0
							switch {
							case flags&kAccum != 0:
								v = float64(c0[i*n+j])
							case withBias:
								v = float64(bias[i])
							}
							for p := 0; p < k; p++ {
								v += float64(a[i*k+p]) * float64(b[p*n+j])
							}
							if flags&kReLU != 0 && v < 0 {
								v = 0
							}
							want[i*n+j] = v
						}
					}
					c := append([]float32(nil), c0...)
					var bi []float32
					if withBias {
						bi = bias
					}
					gemm(m, n, k, a, k, b, n, c, n, bi, flags)
					for i := range want {
						if d := math.Abs(float64(c[i]) - want[i]); d > 1e-4*math.Sqrt(float64(k)) {
							t.Fatalf("%dx%dx%d flags=%d bias=%v: c[%d] = %g, want %g", m, n, k, flags, withBias, i, c[i], want[i])
						}
					}
				})
			}
		}
	}
}

// randProduct draws the operands of an m×n×k product: A, a direct B,
// the bias, a starting C, and a buffer with one random offset a row of
// the indirect B.
func randProduct(r *rand.Rand, m, n, k int) (a, b, bias, c0, buf []float32, boff []int) {
	a, b = randSlice32(r, m*k), randSlice32(r, k*n)
	bias, c0 = randSlice32(r, m), randSlice32(r, m*n)
	buf = randSlice32(r, 2*k*n+n)
	boff = make([]int, k)
	for p := range boff {
		boff[p] = r.IntN(len(buf) - n + 1)
	}
	return a, b, bias, c0, buf, boff
}

func TestGEMMAVX512MatchesAVX2Bitwise(t *testing.T) {
	// Both assembly paths add the products of each element with one fused
	// multiply-add per step in the same order: their results must agree
	// bit for bit, direct and indirect, across every tile shape (8- and
	// 4-row blocks, 32- and 16-column strips) and k-block boundary.
	if !slices.Contains(Paths(), PathAVX512) {
		t.Skip("this CPU has no AVX-512F")
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, s := range [][3]int{{8, 32, 1}, {4, 16, 7}, {12, 48, 300}, {16, 64, 27}, {20, 112, 513}, {144, 16, 40}, {44, 48, 260}, {16, 16, 1}} {
		m, n, k := s[0], s[1], s[2]
		a, b, bias, c0, buf, boff := randProduct(r, m, n, k)
		for _, flags := range []int{0, kReLU, kAccum, kAccum | kReLU} {
			run := func(p string) (direct, indirect []float32) {
				withPath(t, p)
				direct = append([]float32(nil), c0...)
				gemm(m, n, k, a, k, b, n, direct, n, bias, flags)
				indirect = append([]float32(nil), c0...)
				gemmIB(m, n, k, a, k, buf, boff, indirect, n, bias, flags)
				return direct, indirect
			}
			d2, i2 := run(PathAVX2)
			d5, i5 := run(PathAVX512)
			if !slices.Equal(d5, d2) {
				t.Errorf("gemm %v flags=%d: avx512 differs bitwise from avx2", s, flags)
			}
			if !slices.Equal(i5, i2) {
				t.Errorf("gemmIB %v flags=%d: avx512 differs bitwise from avx2", s, flags)
			}
		}
	}
}

// TestGEMMSixRowBlocksMatchFourRowBlocksBitwise: on the avx2 path gemm
// and gemmIB run 6-row blocks (sgemm6x16, sgemm6x16ib) where they fit and
// 4-row ones, 24 columns wide where they can be (sgemm4x24, sgemm4x24ib),
// for the rest; each value gets the same fused multiply-adds in the same
// order as with 4×16 blocks alone, so the two agree bit for bit, for row
// counts with no 6-row block (4, 8), all 6-row blocks (12, 144) and both
// (16, 28, 32), widths with and without 24-column strips, across k-block
// boundaries.
func TestGEMMSixRowBlocksMatchFourRowBlocksBitwise(t *testing.T) {
	if !slices.Contains(Paths(), PathAVX2) {
		t.Skip("this CPU has no AVX2 with FMA")
	}
	withPath(t, PathAVX2)
	// fourRows is gemm and gemmIB as they were before the 6-row blocks:
	// 4-row blocks down each 16-column strip.
	fourRows := func(m, n, k int, a []float32, b []float32, boff []int, c []float32, bias []float32, flags int) {
		for k0 := 0; k0 < k; k0 += kcBlock {
			kc := min(kcBlock, k-k0)
			fl, bi := blockFlags(flags, k0, kc, k, bias, m)
			for j := 0; j < n; j += 16 {
				if boff == nil {
					kern4x16(m/4, kc, a[k0:], k, b[k0*n+j:], n, c[j:], n, bi, fl)
				} else {
					kern4x16ib(m/4, kc, a[k0:], k, b[j:], boff[k0:k0+kc], c[j:], n, bi, fl)
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(6, 12))
	for _, s := range [][3]int{{4, 16, 3}, {4, 48, 5}, {8, 32, 1}, {8, 112, 40}, {12, 16, 2}, {16, 48, 27}, {28, 16, 300}, {28, 96, 2}, {32, 64, 144}, {144, 16, 513}, {144, 32, 16}} {
		m, n, k := s[0], s[1], s[2]
		a, b, bias, c0, buf, boff := randProduct(r, m, n, k)
		for _, flags := range []int{0, kReLU, kAccum, kAccum | kReLU} {
			for _, bi := range [][]float32{nil, bias} {
				want, got := slices.Clone(c0), slices.Clone(c0)
				fourRows(m, n, k, a, b, nil, want, bi, flags)
				gemm(m, n, k, a, k, b, n, got, n, bi, flags)
				if !slices.Equal(got, want) {
					t.Errorf("gemm %v flags=%d bias=%v: differs bitwise from 4-row blocks", s, flags, bi != nil)
				}
				want, got = slices.Clone(c0), slices.Clone(c0)
				fourRows(m, n, k, a, buf, boff, want, bi, flags)
				gemmIB(m, n, k, a, k, buf, boff, got, n, bi, flags)
				if !slices.Equal(got, want) {
					t.Errorf("gemmIB %v flags=%d bias=%v: differs bitwise from 4-row blocks", s, flags, bi != nil)
				}
			}
		}
	}
}

func TestSetPath(t *testing.T) {
	prev := Path()
	defer func() {
		if err := SetPath(prev); err != nil {
			t.Fatal(err)
		}
	}()
	for _, p := range Paths() {
		if err := SetPath(strings.ToUpper(p)); err != nil || Path() != p {
			t.Errorf("SetPath(%q): path %q, error %v", strings.ToUpper(p), Path(), err)
		}
	}
	if err := SetPath(PathGo); err != nil || useAVX || useAVX512 {
		t.Errorf("SetPath(go): error %v, useAVX %v, useAVX512 %v", err, useAVX, useAVX512)
	}
	err := SetPath("sse")
	if err == nil || !strings.Contains(err.Error(), `"sse"`) || !strings.Contains(err.Error(), "avx512, avx2, go") {
		t.Errorf("SetPath(sse) = %v, want an error naming it and the valid paths", err)
	}
	if Path() != PathGo {
		t.Errorf("a failed SetPath changed the path to %q", Path())
	}
}

func TestBiasGrad(t *testing.T) {
	for _, s := range [][3]int{{1, 1, 1}, {128, 10, 1}, {3, 5, 7}, {128, 16, 1024}, {2, 32, 64}} {
		n, c, inner := s[0], s[1], s[2]
		r := rand.New(rand.NewPCG(uint64(n), uint64(c)))
		dz := randSlice32(r, n*c*inner)
		want := make([]float64, c)
		mag := make([]float64, c)
		refBiasGrad(to64(dz), want, n, c, inner)
		refBiasGrad(abs64(to64(dz)), mag, n, c, inner)
		var db1 []float32
		for _, workers := range []int{1, 0, 3} {
			db := randSlice32(r, c)
			BiasGrad(dz, db, n, c, inner, workers)
			checkClose(t, fmt.Sprintf("db %v workers=%d", s, workers), db, want, mag)
			if db1 == nil {
				db1 = db
			} else if !slices.Equal(db, db1) {
				t.Errorf("db %v: workers=%d differs bitwise from workers=1", s, workers)
			}
		}
		db64 := make([]float64, c)
		BiasGrad(to64(dz), db64, n, c, inner, 0)
		for j := range db64 {
			if math.Abs(db64[j]-want[j]) > 1e-12*(1+mag[j]) {
				t.Fatalf("float64 db[%d] = %g, want %g", j, db64[j], want[j])
			}
		}
	}
	// Hand-worked: n=2, c=2, inner=2.
	db := make([]float32, 2)
	BiasGrad([]float32{1, 2, 10, 20, 3, 4, 30, 40}, db, 2, 2, 2, 1)
	if db[0] != 10 || db[1] != 100 {
		t.Fatalf("db = %v, want [10 100]", db)
	}
}

func TestTranspose(t *testing.T) {
	withKernels(t, func(t *testing.T) {
		for _, s := range [][2]int{{1, 1}, {8, 8}, {16, 1024}, {9, 17}, {3, 40}, {24, 7}, {32, 64}} {
			nf, np := s[0], s[1]
			src := make([]float32, nf*np)
			for i := range src {
				src[i] = float32(i)
			}
			ldd := nf + 3
			dst := make([]float32, np*ldd)
			for i := range dst {
				dst[i] = -1
			}
			transposeInto(src, np, nf, np, dst, ldd)
			for q := 0; q < np; q++ {
				for f := 0; f < ldd; f++ {
					want := float32(-1) // padding columns untouched
					if f < nf {
						want = float32(f*np + q)
					}
					if got := dst[q*ldd+f]; got != want {
						t.Fatalf("%dx%d: dst[%d][%d] = %g, want %g", nf, np, q, f, got, want)
					}
				}
			}
		}
	})
}

func TestIndirectGEMM(t *testing.T) {
	// gemmIB with B's rows scattered through a buffer must equal gemm on
	// the same rows gathered into a dense matrix.
	r := rand.New(rand.NewPCG(4, 4))
	for _, s := range [][3]int{{4, 16, 1}, {8, 32, 27}, {12, 48, 300}} {
		m, n, k := s[0], s[1], s[2]
		for _, flags := range []int{0, kReLU, kAccum} {
			withKernels(t, func(t *testing.T) {
				buf := randSlice32(r, 4*(k+m)*n+n)
				a := randSlice32(r, m*k)
				bias := randSlice32(r, m)
				// B rows at random offsets.
				boff := make([]int, k)
				dense := make([]float32, k*n)
				for p := range boff {
					boff[p] = r.IntN(len(buf) - n + 1)
					copy(dense[p*n:(p+1)*n], buf[boff[p]:])
				}
				c0 := randSlice32(r, m*n)
				want := append([]float32(nil), c0...)
				gemm(m, n, k, a, k, dense, n, want, n, bias, flags)
				got := append([]float32(nil), c0...)
				gemmIB(m, n, k, a, k, buf, boff, got, n, bias, flags)
				if !slices.Equal(got, want) {
					t.Fatalf("gemmIB %v flags=%d differs from gemm", s, flags)
				}
			})
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("gemmIB with a row past the buffer did not panic")
			}
		}()
		gemmIB(4, 16, 1, make([]float32, 4), 1, make([]float32, 20), []int{5}, make([]float32, 64), 16, nil, 0)
	}()
}

func TestDense(t *testing.T) {
	cases := [][3]int{{1, 1, 1}, {128, 2048, 10}, {5, 7, 3}, {6, 33, 17}, {128, 512, 10}, {3, 16, 16}, {130, 100, 20}}
	withKernels(t, func(t *testing.T) {
		for i, c := range cases {
			n, d, u := c[0], c[1], c[2]
			r := rand.New(rand.NewPCG(uint64(i), 21))
			x, w, b, dz := randSlice32(r, n*d), randSlice32(r, d*u), randSlice32(r, u), randSlice32(r, n*u)
			for k := 0; k < len(x); k += 3 {
				x[k] = 0 // ReLU outputs feed dense layers: zeros are common
			}
			x64, w64, b64, dz64 := to64(x), to64(w), to64(b), to64(dz)
			for _, relu := range []bool{false, true} {
				want, mag := make([]float64, n*u), make([]float64, n*u)
				refDenseForward(x64, w64, b64, want, n, d, u, relu)
				refDenseForward(abs64(x64), abs64(w64), abs64(b64), mag, n, d, u, false)
				for _, workers := range []int{1, 0, 3} {
					got := randSlice32(r, n*u)
					DenseForward(x, w, b, got, n, d, u, relu, workers)
					checkClose(t, fmt.Sprintf("dense %v forward relu=%v workers=%d", c, relu, workers), got, want, mag)
				}
			}
			wantDx, magDx := make([]float64, n*d), make([]float64, n*d)
			refDenseBackwardData(dz64, w64, wantDx, n, d, u)
			refDenseBackwardData(abs64(dz64), abs64(w64), magDx, n, d, u)
			wantDw, magDw := make([]float64, d*u), make([]float64, d*u)
			refDenseBackwardFilter(x64, dz64, wantDw, n, d, u)
			refDenseBackwardFilter(abs64(x64), abs64(dz64), magDw, n, d, u)
			var dx1, dw1 []float32
			for _, workers := range []int{1, 0, 3} {
				dx := randSlice32(r, n*d)
				DenseBackwardData(dz, w, dx, n, d, u, workers)
				checkClose(t, fmt.Sprintf("dense %v dx workers=%d", c, workers), dx, wantDx, magDx)
				dw := randSlice32(r, d*u)
				DenseBackwardFilter(x, dz, dw, n, d, u, workers)
				checkClose(t, fmt.Sprintf("dense %v dw workers=%d", c, workers), dw, wantDw, magDw)
				if dx1 == nil {
					dx1, dw1 = dx, dw
				} else if !slices.Equal(dx, dx1) || !slices.Equal(dw, dw1) {
					t.Errorf("dense %v: workers=%d differs bitwise from workers=1", c, workers)
				}
			}
			// float64 takes the reference loops.
			dw64 := make([]float64, d*u)
			DenseBackwardFilter(x64, dz64, dw64, n, d, u, 0)
			for k := range dw64 {
				if math.Abs(dw64[k]-wantDw[k]) > 1e-12*(1+magDw[k]) {
					t.Fatalf("dense %v float64 dw[%d] = %g, want %g", c, k, dw64[k], wantDw[k])
				}
			}
		}
	})
	// Hand-worked: x = [1 2], w = [[1 0] [0 -1]], b = [0.5 0.5].
	out := make([]float32, 2)
	DenseForward([]float32{1, 2}, []float32{1, 0, 0, -1}, []float32{0.5, 0.5}, out, 1, 2, 2, true, 1)
	if out[0] != 1.5 || out[1] != 0 {
		t.Fatalf("dense forward = %v, want [1.5 0] (second unit clamped by ReLU)", out)
	}
}

// TestMaxPoolNaN: with NaNs in the windows, both passes still match the
// reference bit for bit (the comparison order is the reference's).
func TestMaxPoolNaN(t *testing.T) {
	withKernels(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(8, 8))
		g, err := NewPoolGeom(2, 3, 6, 36, 2)
		if err != nil {
			t.Fatal(err)
		}
		x := randSlice32(r, g.InSize())
		nan := float32(math.NaN())
		for k := 0; k < len(x); k += 7 {
			x[k] = nan
		}
		x[1] = float32(math.Copysign(0, -1))
		x[0] = 0
		want := make([]float32, g.OutSize())
		refMaxPoolForward(g, x, want)
		got := make([]float32, g.OutSize())
		MaxPoolForward(g, x, got)
		dOut := randSlice32(r, g.OutSize())
		wantDx := make([]float32, g.InSize())
		refMaxPoolBackward(g, x, want, dOut, wantDx)
		dx := randSlice32(r, g.InSize())
		MaxPoolBackward(g, x, got, dOut, dx)
		sameBits(t, "out", got, want)
		sameBits(t, "dx", dx, wantDx)
	})
}

func TestPeakGFLOPS(t *testing.T) {
	// A loop of FMAs runs at some positive rate below any plausible
	// machine's (10 TFLOP/s on these thread counts).
	for _, threads := range []int{1, 2} {
		g := PeakGFLOPS(threads, 20*time.Millisecond)
		t.Logf("%d threads: %.0f GFLOP/s", threads, g)
		if !(g > 0.1 && g < 10000) {
			t.Errorf("PeakGFLOPS(%d) = %g, want a positive rate below 10000", threads, g)
		}
	}
}

func FuzzSetPath(f *testing.F) {
	// CONVLAB_KERNELS is outside input: any string selects a path this CPU
	// runs or fails with an error, and a failure leaves the path alone.
	for _, s := range []string{"avx512", "AVX2", " go ", "", "sse", "avx512\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		prev := Path()
		defer func() { _ = SetPath(prev) }()
		err := SetPath(s)
		switch {
		case err == nil && !slices.Contains(Paths(), Path()):
			t.Fatalf("SetPath(%q) selected %q, not one of %v", s, Path(), Paths())
		case err != nil && Path() != prev:
			t.Fatalf("SetPath(%q) failed but changed the path from %q to %q", s, prev, Path())
		}
	})
}

// sameBits fails t at the first value of got whose bits are not want's
// (the length is want's).
func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for k := range want {
		if math.Float32bits(got[k]) != math.Float32bits(want[k]) {
			t.Fatalf("%s[%d] = %g, want %g", what, k, got[k], want[k])
		}
	}
}

// TestPadRows checks the dense weights' padding on every path: rows of
// u values (1, 10 and 16) copied into rows of 16, the rest zero, and the
// rows past the last untouched.
func TestPadRows(t *testing.T) {
	withKernels(t, func(t *testing.T) {
		for _, u := range []int{1, 8, 9, 10, 16} {
			const rows = 3
			src := make([]float32, rows*u)
			for i := range src {
				src[i] = float32(i + 1)
			}
			dst := make([]float32, (rows+1)*16)
			for i := range dst {
				dst[i] = -1
			}
			padRows(dst, src, rows, u, 16)
			for k := 0; k < rows+1; k++ {
				for i := 0; i < 16; i++ {
					want := float32(0)
					switch {
					case k == rows:
						want = -1
					case i < u:
						want = float32(k*u + i + 1)
					}
					if got := dst[k*16+i]; got != want {
						t.Fatalf("u %d: row %d value %d = %v, want %v", u, k, i, got, want)
					}
				}
			}
		}
	})
}
