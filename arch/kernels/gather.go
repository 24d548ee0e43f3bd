package kernels

import "sync"

// Small output planes take a gathered im2col. The block copies of im2col
// (a polyphase split, then per kernel tap a copy, two clears and a pass
// that zeroes the wrapped columns) cost a handful of calls per row of the
// col matrix whatever its length; with 16 or 64 outputs a row, as in the
// last layer of the deeper net, those calls cost more than the values
// they move. The gather instead reads every value of col through a table
// of input offsets (made once per geometry), in one loop per row (on the
// avx512 path, 16 values per gather instruction), and needs no polyphase
// split. Both write the same values. At 64 outputs a
// row the block copies are already faster (by thread CPU time in
// BenchmarkConv's gather1 and blocks1).

// gatherMaxOut is the largest OH·OW that takes the gather.
const gatherMaxOut = 16

// Which im2col a call takes, for tests and benchmarks.
const (
	gatherAuto = iota
	gatherAlways
	gatherNever
)

// gatherMode overrides the choice, for tests and benchmarks.
var gatherMode = gatherAuto

// preferGather reports whether im2col gathers for g.
func (g ConvGeom) preferGather() bool {
	switch gatherMode {
	case gatherAlways:
		return true
	case gatherNever:
		return false
	}
	return g.OH*g.OW <= gatherMaxOut
}

// gatherTables holds gatherIndex's tables by geometry (N and Workers
// zero), read-only once made: small batches (inference cuts its batch
// into groups of images) would otherwise remake them call after call.
var gatherTables sync.Map

// gatherTab is a gatherIndex table and the length of the source it reads
// (one image and its zero).
type gatherTab struct {
	idx  []int32
	need int
}

// gatherTable is g's gatherIndex table, made once.
func (g ConvGeom) gatherTable() *gatherTab {
	key := g
	key.N, key.Workers = 0, 0
	if t, ok := gatherTables.Load(key); ok {
		return t.(*gatherTab)
	}
	t, _ := gatherTables.LoadOrStore(key, &gatherTab{idx: g.gatherIndex(nil), need: g.C*g.H*g.W + 1})
	return t.(*gatherTab)
}

// gatherIndex fills idx (C·K·K rows of OH·OW) with, for col's row
// (c·K+i)·K+j and column oy·OW+ox, the offset of
// x[c][oy·s+i−pt][ox·s+j−pl] in one image, or C·H·W, the zero that
// gatherSource puts past the image, where that lies in the padding.
func (g ConvGeom) gatherIndex(idx []int32) []int32 {
	np := g.OH * g.OW
	kk := g.C * g.K * g.K
	if cap(idx) < kk*np {
		idx = make([]int32, kk*np)
	}
	idx = idx[:kk*np]
	zero := int32(g.C * g.H * g.W)
	for c := 0; c < g.C; c++ {
		for i := 0; i < g.K; i++ {
			for j := 0; j < g.K; j++ {
				row := idx[((c*g.K+i)*g.K+j)*np:][:np]
				for oy := 0; oy < g.OH; oy++ {
					y := oy*g.Stride + i - g.PadTop
					for ox := 0; ox < g.OW; ox++ {
						x := ox*g.Stride + j - g.PadLeft
						v := zero
						if y >= 0 && y < g.H && x >= 0 && x < g.W {
							v = int32((c*g.H+y)*g.W + x)
						}
						row[oy*g.OW+ox] = v
					}
				}
			}
		}
	}
	return idx
}

// gatherSource copies image xn into src with one zero after it, the value
// gatherIndex points the padding at.
func gatherSource(xn, src []float32) []float32 {
	src = grow(src, len(xn)+1)
	copy(src, xn)
	src[len(xn)] = 0
	return src
}

// im2colGather writes col (row stride ld) from src, an image with its
// trailing zero, through t: the same values as im2col; the padding
// columns past OH·OW are left as they are. It panics, before touching
// memory, if src is shorter than t's image.
func im2colGather(t *gatherTab, np int, src, col []float32, ld int) {
	if len(src) < t.need {
		panic("kernels: gather source shorter than its table's image")
	}
	idx := t.idx
	rows := len(idx) / np
	if gatherRows(idx, np, src, col, ld) {
		return
	}
	for r := 0; r < rows; r++ {
		ix := idx[r*np : r*np+np]
		dst := col[r*ld:][:len(ix)]
		for p, o := range ix {
			dst[p] = src[o]
		}
	}
}
