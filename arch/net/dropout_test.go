package net

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// branchingMask is the dropout mask drawn the plain way, one draw for
// two values, each kept when its 24-bit fraction is at least thr.
func branchingMask(src *rand.PCG, d []float32, thr uint64, keep float32) {
	for i := range d {
		d[i] = 0
	}
	for i := 0; i < len(d); i += 2 {
		u := src.Uint64()
		if (u>>8)&(1<<24-1) >= thr {
			d[i] = keep
		}
		if i+1 < len(d) && u>>40 >= thr {
			d[i+1] = keep
		}
	}
}

func TestFillMaskIsBranchingMask(t *testing.T) {
	for _, n := range []int{1, 2, 3, 1001, 128 * 2048} {
		// 0 and 1<<24 keep and drop everything; 1 drops only a zero fraction.
		for _, thr := range []uint64{0, 1, 1 << 22, 1 << 23, 1<<24 - 1, 1 << 24} {
			t.Run(fmt.Sprintf("n=%d/thr=%d", n, thr), func(t *testing.T) {
				ref := rand.NewPCG(3, 5)
				want := make([]float32, n)
				branchingMask(ref, want, thr, 2)
				src := rand.NewPCG(3, 5)
				got := make([]float32, n)
				for i := range got {
					got[i] = -1 // every value must be written
				}
				fillMask(src, got, thr, 2)
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("value %d = %v; the branching draw gives %v", i, got[i], want[i])
					}
				}
				if g, w := src.Uint64(), ref.Uint64(); g != w {
					t.Fatalf("next draw after the mask %#x; after the branching mask %#x", g, w)
				}
			})
		}
	}
}

// BenchmarkFillMask is the strided net's dropout mask (batch 128 × 2048),
// branch-free against the branching loop.
func BenchmarkFillMask(b *testing.B) {
	d := make([]float32, 128*2048)
	for _, name := range []string{"branching", "branchless"} {
		b.Run(name, func(b *testing.B) {
			src := rand.NewPCG(1, 2)
			for b.Loop() {
				if name == "branching" {
					branchingMask(src, d, 1<<23, 2)
				} else {
					fillMask(src, d, 1<<23, float32(2))
				}
			}
		})
	}
}
