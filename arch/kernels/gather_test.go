package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The gathered im2col writes, bit for bit, what the block copies write,
// and leaves the row padding past OH·OW alone, as they do.
func TestIm2colGatherMatchesBlocks(t *testing.T) {
	withKernels(t, func(t *testing.T) {
		for i, c := range convCases {
			t.Run(c.String(), func(t *testing.T) {
				g := newGeom(t, c)
				r := rand.New(rand.NewPCG(uint64(i), 11))
				in := g.C * g.H * g.W
				x := randSlice32(r, in)
				np := g.OH * g.OW
				ld := np + 3
				kk := g.C * g.K * g.K
				hq, wq := g.subSize()
				sub := make([]float32, g.C*g.Stride*g.Stride*hq*wq)
				sentinel := float32(math.NaN())
				want, got := make([]float32, kk*ld), make([]float32, kk*ld)
				for k := range want {
					want[k], got[k] = sentinel, sentinel
				}
				im2col(g, g.taps(nil), x, want, ld, sub)
				im2colGather(g.gatherTable(), np, gatherSource(x, nil), got, ld)
				for k := range want {
					if math.Float32bits(got[k]) != math.Float32bits(want[k]) {
						t.Fatalf("col[%d][%d] = %v, want %v", k/ld, k%ld, got[k], want[k])
					}
				}
			})
		}
	})
}

// A table made for one batch size serves every other: it does not
// depend on N or Workers.
func TestGatherTableIgnoresBatch(t *testing.T) {
	a, err := NewConvGeom(3, 4, 5, 5, 2, 3, 2, "same")
	if err != nil {
		t.Fatal(err)
	}
	b := a
	b.N, b.Workers = 128, 2
	ta, tb := a.gatherTable(), b.gatherTable()
	if ta != tb {
		t.Error("geometries that differ only in N and Workers got two tables")
	}
	fresh := b.gatherIndex(nil)
	for k := range fresh {
		if fresh[k] != ta.idx[k] {
			t.Fatalf("cached table[%d] = %d, want %d", k, ta.idx[k], fresh[k])
		}
	}
	if ta.need != 4*5*5+1 {
		t.Errorf("the table reads %d values, want %d", ta.need, 4*5*5+1)
	}
}

// The forward pass on shifted planes gives im2col's output bit for bit
// (its rows hold the same values), where it applies (OW = Wq) and on
// every kernel path.
func TestShiftedForwardMatchesIm2col(t *testing.T) {
	withKernels(t, func(t *testing.T) {
		applied := 0
		for i, c := range convCases {
			g := newGeom(t, c)
			if !g.shiftOK() {
				continue
			}
			applied++
			t.Run(c.String(), func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(i), 13))
				x, w, b := randSlice32(r, g.InSize()), randSlice32(r, g.WeightSize()), randSlice32(r, g.F)
				for _, relu := range []bool{false, true} {
					run := func(shift int) []float32 {
						setModes(wideNever, gatherNever, shift)
						defer setModes(wideAuto, gatherAuto, shiftAuto)
						out := make([]float32, g.OutSize())
						Conv2DForward(g, x, w, b, out, relu)
						return out
					}
					want, got := run(shiftNever), run(shiftAlways)
					sameBits(t, fmt.Sprintf("relu %t: shifted out", relu), got, want)
				}
			})
		}
		if applied < 10 {
			t.Errorf("only %d of the cases have OW = Wq; the test covers too little", applied)
		}
	})
}

// sum32 gives the same bits on every path (the AVX paths add its 32
// partial sums as four vectors) for every length around the blocks of 8
// and 32, and the sum to float32 rounding.
func TestSum32SameOnEveryPath(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	s := randSlice32(r, 300)
	for n := 0; n <= len(s); n++ {
		var sums []float32
		for _, p := range Paths() {
			withPath(t, p)
			sums = append(sums, sum32(s[:n]))
		}
		var want float64
		for _, v := range s[:n] {
			want += float64(v)
		}
		for i, got := range sums {
			if math.Float32bits(got) != math.Float32bits(sums[0]) {
				t.Fatalf("n %d: path %s sums to %v, path %s to %v", n, Paths()[i], got, Paths()[0], sums[0])
			}
			if math.Abs(float64(got)-want) > 1e-5*(1+math.Abs(want))*float64(n) {
				t.Fatalf("n %d: %v, want %v", n, got, want)
			}
		}
	}
}
