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

// TestPCGAdvanceMatchesTheDraws: n steps at once land where n draws of
// math/rand/v2's PCG do, and the next draws agree (which fails should Go
// change its generator's constants).
func TestPCGAdvanceMatchesTheDraws(t *testing.T) {
	for _, n := range []uint64{0, 1, 2, 3, 64, 1000, 131072, 131073} {
		src := rand.NewPCG(0x1234, 0x64726f706f7574)
		jumped := pcgAdvance(pcgState(src), n)
		for i := uint64(0); i < n; i++ {
			src.Uint64()
		}
		if got := pcgState(src); got != jumped {
			t.Fatalf("after %d draws the state is %#x; advanced %d steps, %#x", n, got, n, jumped)
		}
		other := rand.NewPCG(jumped.hi, jumped.lo)
		for i := 0; i < 3; i++ {
			if a, b := src.Uint64(), other.Uint64(); a != b {
				t.Fatalf("draw %d after %d: %#x from the drawn generator, %#x from the advanced one", i, n, a, b)
			}
		}
	}
}

// TestFillMaskParallelIsFillMask: drawn in parts on any number of workers,
// the mask and the generator's next draw are the sequential fillMask's.
func TestFillMaskParallelIsFillMask(t *testing.T) {
	for _, n := range []int{3, parallelMaskMin, parallelMaskMin + 1, 128 * 2048, 128*2048 + 3} {
		for _, workers := range []int{1, 2, 3, 8} {
			t.Run(fmt.Sprintf("n=%d/workers=%d", n, workers), func(t *testing.T) {
				ref := rand.NewPCG(7, 9)
				want := make([]float32, n)
				fillMask(ref, want, 1<<23, 2)
				src := rand.NewPCG(7, 9)
				got := make([]float32, n)
				for i := range got {
					got[i] = -1 // every value must be written
				}
				fillMaskParallel(src, got, 1<<23, float32(2), workers)
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("value %d = %v; fillMask's %v", i, got[i], want[i])
					}
				}
				if g, w := src.Uint64(), ref.Uint64(); g != w {
					t.Fatalf("next draw after the mask %#x; after fillMask's %#x", g, w)
				}
			})
		}
	}
}

// BenchmarkFillMask is the strided net's dropout mask (batch 128 × 2048),
// branch-free against the branching loop, and in parts on two workers.
func BenchmarkFillMask(b *testing.B) {
	d := make([]float32, 128*2048)
	for _, name := range []string{"branching", "branchless", "branchless/workers=2"} {
		b.Run(name, func(b *testing.B) {
			src := rand.NewPCG(1, 2)
			for b.Loop() {
				switch name {
				case "branching":
					branchingMask(src, d, 1<<23, 2)
				case "branchless":
					fillMask(src, d, 1<<23, float32(2))
				default:
					fillMaskParallel(src, d, 1<<23, float32(2), 2)
				}
			}
		})
	}
}
