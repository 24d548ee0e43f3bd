// Package kernels holds the numeric hot loops of training: convolution,
// max pooling and their gradients, over channels-first (NCHW) float32 or
// float64 slices. The functions allocate nothing; callers own every buffer.
//
// Conventions match Keras/TensorFlow: cross-correlation (no kernel flip),
// 'same' padding with the odd extra pixel after, filters laid out F×C×K×K.
package kernels

import (
	"fmt"
	"unsafe"

	"convlab/arch"
)

// Float is the element type of every kernel.
type Float interface{ ~float32 | ~float64 }

// ConvGeom is the geometry of one convolution: input N×C×H×W, filters
// F×C×K×K, output N×F×OH×OW.
type ConvGeom struct {
	N, C, H, W      int
	F, K, Stride    int
	PadTop, PadLeft int
	OH, OW          int

	// Workers is how many goroutines a float32 call may use (it splits the
	// batch); 0 or less means GOMAXPROCS. Results do not depend on it
	// beyond float32 rounding of the filter-gradient sum.
	Workers int
}

// NewConvGeom computes the output size and padding of a convolution;
// padding is "same" or "valid".
func NewConvGeom(n, c, h, w, f, k, stride int, padding string) (ConvGeom, error) {
	g := ConvGeom{N: n, C: c, H: h, W: w, F: f, K: k, Stride: stride}
	if n < 1 || c < 1 || h < 1 || w < 1 || f < 1 || k < 1 || stride < 1 {
		return g, fmt.Errorf("conv geometry: every size must be positive: n=%d c=%d h=%d w=%d f=%d k=%d stride=%d", n, c, h, w, f, k, stride)
	}
	switch padding {
	case "same":
		g.PadTop, _ = arch.SamePadding(h, k, stride)
		g.PadLeft, _ = arch.SamePadding(w, k, stride)
		g.OH, g.OW = (h+stride-1)/stride, (w+stride-1)/stride
	case "valid":
		if h < k || w < k {
			return g, fmt.Errorf("conv geometry: kernel %d larger than input %dx%d", k, h, w)
		}
		g.OH, g.OW = (h-k)/stride+1, (w-k)/stride+1
	default:
		return g, fmt.Errorf("conv geometry: padding must be same or valid, got %q", padding)
	}
	return g, nil
}

// InSize, WeightSize and OutSize are the lengths of the slices a
// convolution of this geometry reads and writes.
func (g ConvGeom) InSize() int     { return g.N * g.C * g.H * g.W }
func (g ConvGeom) WeightSize() int { return g.F * g.C * g.K * g.K }
func (g ConvGeom) OutSize() int    { return g.N * g.F * g.OH * g.OW }

// as32 reinterprets a slice of a float type as []float32 when the type is
// 32 bits wide.
func as32[T Float](s []T) ([]float32, bool) {
	var z T
	if unsafe.Sizeof(z) != 4 {
		return nil, false
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s)), true
}

// Conv2DForward sets out = act(conv(x, w) + b), where act is ReLU when relu
// is set and the identity otherwise.
func Conv2DForward[T Float](g ConvGeom, x, w, b, out []T, relu bool) {
	if x32, ok := as32(x); ok && !forceRef && g.geomOK() && len(x) >= g.InSize() && len(w) >= g.WeightSize() &&
		len(b) >= g.F && len(out) >= g.OutSize() {
		w32, _ := as32(w)
		b32, _ := as32(b)
		o32, _ := as32(out)
		conv2DForward32(g, x32, w32, b32, o32, relu)
		return
	}
	refConv2DForward(g, x, w, b, out, relu)
}

// ReLUGrad sets dz = dOut where out > 0 and 0 elsewhere: the gradient
// through a ReLU, given the ReLU's output. It reads len(out) values and
// uses at most workers goroutines for float32 (0 or less: GOMAXPROCS).
func ReLUGrad[T Float](out, dOut, dz []T, workers int) {
	if o32, ok := as32(out); ok && !forceRef && len(dOut) >= len(out) && len(dz) >= len(out) {
		d32, _ := as32(dOut)
		z32, _ := as32(dz)
		reluGradParallel(o32, d32, z32, workers)
		return
	}
	refReLUGrad(out, dOut, dz)
}

// Conv2DBackwardData sets dx to the gradient of the loss with respect to
// the convolution's input, given dz, its gradient with respect to the
// pre-activation output.
func Conv2DBackwardData[T Float](g ConvGeom, w, dz, dx []T) {
	if w32, ok := as32(w); ok && !forceRef && g.geomOK() && len(w) >= g.WeightSize() && len(dz) >= g.OutSize() &&
		len(dx) >= g.InSize() {
		dz32, _ := as32(dz)
		dx32, _ := as32(dx)
		conv2DBackwardData32(g, w32, dz32, dx32)
		return
	}
	refConv2DBackwardData(g, w, dz, dx)
}

// Conv2DBackwardFilter sets dw and db to the gradients of the loss with
// respect to the filters and biases, given the input x and dz.
func Conv2DBackwardFilter[T Float](g ConvGeom, x, dz, dw, db []T) {
	if x32, ok := as32(x); ok && !forceRef && g.geomOK() && len(x) >= g.InSize() && len(dz) >= g.OutSize() &&
		len(dw) >= g.WeightSize() && len(db) >= g.F {
		dz32, _ := as32(dz)
		dw32, _ := as32(dw)
		db32, _ := as32(db)
		conv2DBackwardFilter32(g, x32, dz32, dw32, db32)
		return
	}
	refConv2DBackwardFilter(g, x, dz, dw, db)
}

// Conv2DBackwardReLU sets dx as Conv2DBackwardData and dw and db as
// Conv2DBackwardFilterReLU do, for a convolution with a fused ReLU, in one
// pass over the images: each image's dz is made once, from out and dOut,
// for both. The results are ReLUGrad's then the two gradients', bit for
// bit. dx may be dOut itself when the two are the same size: an image's
// dz is made in full before its dx is written, and images do not overlap.
func Conv2DBackwardReLU[T Float](g ConvGeom, x, w, out, dOut, dx, dw, db []T) {
	if x32, ok := as32(x); ok && !forceRef && g.geomOK() && len(x) >= g.InSize() && len(w) >= g.WeightSize() &&
		len(out) >= g.OutSize() && len(dOut) >= g.OutSize() && len(dx) >= g.InSize() && len(dw) >= g.WeightSize() && len(db) >= g.F {
		w32, _ := as32(w)
		o32, _ := as32(out)
		d32, _ := as32(dOut)
		dx32, _ := as32(dx)
		dw32, _ := as32(dw)
		db32, _ := as32(db)
		conv2DBackwardReLU32(g, x32, w32, o32, d32, dx32, dw32, db32)
		return
	}
	n := g.OutSize()
	dz := make([]T, n)
	refReLUGrad(out[:n], dOut[:n], dz)
	refConv2DBackwardData(g, w, dz, dx)
	refConv2DBackwardFilter(g, x, dz, dw, db)
}

// Conv2DBackwardFilterReLU is Conv2DBackwardFilter for a convolution
// with a fused ReLU, given its output out and the gradient dOut with
// respect to that output instead of dz: dz = dOut where out > 0, else 0,
// made image by image as the filter gradient reads it, where a separate
// ReLUGrad would write all of dz and read it back. The results are
// ReLUGrad's then Conv2DBackwardFilter's, bit for bit.
func Conv2DBackwardFilterReLU[T Float](g ConvGeom, x, out, dOut, dw, db []T) {
	if x32, ok := as32(x); ok && !forceRef && g.geomOK() && len(x) >= g.InSize() && len(out) >= g.OutSize() &&
		len(dOut) >= g.OutSize() && len(dw) >= g.WeightSize() && len(db) >= g.F {
		o32, _ := as32(out)
		d32, _ := as32(dOut)
		dw32, _ := as32(dw)
		db32, _ := as32(db)
		conv2DBackwardFilterReLU32(g, x32, o32, d32, dw32, db32)
		return
	}
	n := g.OutSize()
	dz := make([]T, n)
	refReLUGrad(out[:n], dOut[:n], dz)
	refConv2DBackwardFilter(g, x, dz, dw, db)
}

// BiasGrad sets db[j] to the sum of dz over every axis but axis 1, where
// dz is n×c×inner: the gradient of a bias added along axis 1 (inner = 1
// for a dense layer, OH·OW for a convolution). workers bounds the
// goroutines a float32 call uses (0 or less: GOMAXPROCS).
func BiasGrad[T Float](dz, db []T, n, c, inner, workers int) {
	if d32, ok := as32(dz); ok && !forceRef && n > 0 && c > 0 && inner > 0 && len(dz) >= n*c*inner && len(db) >= c {
		b32, _ := as32(db)
		biasGrad32(d32, b32, n, c, inner, workers)
		return
	}
	refBiasGrad(dz, db, n, c, inner)
}

// DenseForward sets out (n×u) = act(x (n×d) · w (d×u) + b), where act is
// ReLU when relu is set. workers bounds the goroutines a float32 call
// uses (0 or less: GOMAXPROCS).
func DenseForward[T Float](x, w, b, out []T, n, d, u int, relu bool, workers int) {
	if x32, ok := as32(x); ok && !forceRef && denseOK(n, d, u) && len(x) >= n*d && len(w) >= d*u && len(b) >= u && len(out) >= n*u {
		w32, _ := as32(w)
		b32, _ := as32(b)
		o32, _ := as32(out)
		denseForward32(x32, w32, b32, o32, n, d, u, relu, workers)
		return
	}
	refDenseForward(x, w, b, out, n, d, u, relu)
}

// DenseBackwardData sets dx (n×d) = dz (n×u) · wᵀ, the gradient of a dense
// layer's input given dz, the gradient of its pre-activation output.
func DenseBackwardData[T Float](dz, w, dx []T, n, d, u int, workers int) {
	if dz32, ok := as32(dz); ok && !forceRef && denseOK(n, d, u) && len(dz) >= n*u && len(w) >= d*u && len(dx) >= n*d {
		w32, _ := as32(w)
		dx32, _ := as32(dx)
		denseBackData32(dz32, w32, dx32, n, d, u, workers)
		return
	}
	refDenseBackwardData(dz, w, dx, n, d, u)
}

// DenseBackwardFilter sets dw (d×u) = xᵀ · dz, the gradient of a dense
// layer's weights.
func DenseBackwardFilter[T Float](x, dz, dw []T, n, d, u int, workers int) {
	if x32, ok := as32(x); ok && !forceRef && denseOK(n, d, u) && len(x) >= n*d && len(dz) >= n*u && len(dw) >= d*u {
		dz32, _ := as32(dz)
		dw32, _ := as32(dw)
		denseBackFilter32(x32, dz32, dw32, n, d, u, workers)
		return
	}
	refDenseBackwardFilter(x, dz, dw, n, d, u)
}

// PoolGeom is the geometry of a P×P max pooling with stride P (Keras'
// default): input N×C×H×W, output N×C×(H/P)×(W/P), the remainder dropped.
type PoolGeom struct {
	N, C, H, W, P int
	OH, OW        int

	// Workers is how many goroutines a float32 call may use (it splits
	// the N·C planes); 0 or less means GOMAXPROCS.
	Workers int
}

// NewPoolGeom computes a pooling's output size.
func NewPoolGeom(n, c, h, w, p int) (PoolGeom, error) {
	if n < 1 || c < 1 || p < 1 || h < p || w < p {
		return PoolGeom{}, fmt.Errorf("pool geometry: pool %d does not fit input %dx%dx%dx%d", p, n, c, h, w)
	}
	return PoolGeom{N: n, C: c, H: h, W: w, P: p, OH: h / p, OW: w / p}, nil
}

// InSize and OutSize are the lengths of the slices a pooling reads and writes.
func (g PoolGeom) InSize() int  { return g.N * g.C * g.H * g.W }
func (g PoolGeom) OutSize() int { return g.N * g.C * g.OH * g.OW }

// MaxPoolForward sets out to the maximum of each window.
func MaxPoolForward[T Float](g PoolGeom, x, out []T) {
	if x32, ok := as32(x); ok && !forceRef && g.geomOK() && len(x) >= g.InSize() && len(out) >= g.OutSize() {
		o32, _ := as32(out)
		maxPool32(g, x32, nil, nil, o32, false)
		return
	}
	refMaxPoolForward(g, x, out)
}

// MaxPoolBackward sets dx: each window's gradient goes to the first
// position (row-major) that holds the window's maximum, as TensorFlow does.
func MaxPoolBackward[T Float](g PoolGeom, x, out, dOut, dx []T) {
	if x32, ok := as32(x); ok && !forceRef && g.geomOK() && len(x) >= g.InSize() && len(out) >= g.OutSize() &&
		len(dOut) >= g.OutSize() && len(dx) >= g.InSize() {
		o32, _ := as32(out)
		d32, _ := as32(dOut)
		dx32, _ := as32(dx)
		maxPool32(g, x32, o32, d32, dx32, true)
		return
	}
	refMaxPoolBackward(g, x, out, dOut, dx)
}
