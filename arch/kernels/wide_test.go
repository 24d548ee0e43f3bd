package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestCopyRowsCopiesRowsAndNothingElse: every row's w values land at its
// stride in dst, and no value between the rows or past the last moves,
// for strides at, and past, the width; a width that is not whole vectors
// is declined, with nothing written.
func TestCopyRowsCopiesRowsAndNothingElse(t *testing.T) {
	withSIMDPaths(t, testCopyRows)
}

func testCopyRows(t *testing.T) {
	const sentinel = -7
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct{ rows, w, ldd, lds int }{
		{1, 1, 1, 1}, {3, 15, 16, 17}, {4, 16, 16, 16}, {5, 17, 20, 18},
		{32, 32, 32, 34}, {16, 16, 16, 18}, {2, 33, 40, 33}, {7, 31, 31, 50},
		{3, 48, 50, 64},
	} {
		t.Run(fmt.Sprintf("rows%d_w%d_ldd%d_lds%d", tc.rows, tc.w, tc.ldd, tc.lds), func(t *testing.T) {
			src := make([]float32, (tc.rows-1)*tc.lds+tc.w)
			for i := range src {
				src[i] = r.Float32()
			}
			// The tail past the last row is where an unmasked store
			// would land.
			dst := make([]float32, (tc.rows-1)*tc.ldd+tc.w+16)
			for i := range dst {
				dst[i] = sentinel
			}
			whole := tc.w%16 == 0
			if got := copyRows(dst[:(tc.rows-1)*tc.ldd+tc.w], tc.ldd, src, tc.lds, tc.rows, tc.w); got != whole {
				t.Fatalf("copyRows reported %v on the %s path; want %v", got, Path(), whole)
			}
			for i, v := range dst {
				row, col := i/tc.ldd, i%tc.ldd
				want := float32(sentinel)
				if whole && row < tc.rows && col < tc.w {
					want = src[row*tc.lds+col]
				}
				if v != want {
					t.Fatalf("dst[%d] (row %d, column %d) = %v; want %v", i, row, col, v, want)
				}
			}
		})
	}
}

// TestBuildWideOneCallPerChannel: at stride 1 the avx512 and avx2 paths' padded
// planes are the general loop's, value for value, with the padding zero
// even where the buffer held other values before (padding 1 and 2, and
// none, where 'valid' crops the copied columns).
func TestBuildWideOneCallPerChannel(t *testing.T) {
	withSIMDPaths(t, testBuildWide1)
}

func testBuildWide1(t *testing.T) {
	simd := Path()
	r := rand.New(rand.NewPCG(5, 6))
	for _, c := range []convCase{
		{1, 16, 32, 32, 16, 3, 1, "same"},
		{1, 3, 7, 9, 4, 3, 1, "same"}, // rows not whole vectors: the general loop
		{1, 2, 16, 16, 4, 5, 1, "same"},
		{1, 2, 16, 32, 4, 3, 1, "valid"},
	} {
		t.Run(c.String(), func(t *testing.T) {
			g, err := NewConvGeom(c.n, c.c, c.h, c.w, c.f, c.k, c.stride, c.pad)
			if err != nil {
				t.Fatal(err)
			}
			w := g.wide()
			xn := randSlice32(r, g.C*g.H*g.W)
			want := make([]float32, w.size)
			withPath(t, PathGo)
			buildWide(g, w, xn, want, make([]float32, w.wq))
			withPath(t, simd)
			got := randSlice32(r, w.size) // stale values the padding must overwrite
			buildWide(g, w, xn, got, make([]float32, w.wq))
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("buf[%d] = %v; the general loop's %v", i, got[i], want[i])
				}
			}
		})
	}
}
