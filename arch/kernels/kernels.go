// Package kernels holds the numeric hot loops of training: convolution,
// max pooling and their gradients, over channels-first (NCHW) float32 or
// float64 slices. The functions allocate nothing; callers own every buffer.
//
// Conventions match Keras/TensorFlow: cross-correlation (no kernel flip),
// 'same' padding with the odd extra pixel after, filters laid out F×C×K×K.
package kernels

import (
	"fmt"

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

// Conv2DForward sets out = act(conv(x, w) + b), where act is ReLU when relu
// is set and the identity otherwise.
func Conv2DForward[T Float](g ConvGeom, x, w, b, out []T, relu bool) {
	for n := 0; n < g.N; n++ {
		for f := 0; f < g.F; f++ {
			for oy := 0; oy < g.OH; oy++ {
				for ox := 0; ox < g.OW; ox++ {
					sum := b[f]
					for c := 0; c < g.C; c++ {
						for i := 0; i < g.K; i++ {
							y := oy*g.Stride + i - g.PadTop
							if y < 0 || y >= g.H {
								continue
							}
							for j := 0; j < g.K; j++ {
								xx := ox*g.Stride + j - g.PadLeft
								if xx < 0 || xx >= g.W {
									continue
								}
								sum += x[((n*g.C+c)*g.H+y)*g.W+xx] * w[((f*g.C+c)*g.K+i)*g.K+j]
							}
						}
					}
					if relu && sum < 0 {
						sum = 0
					}
					out[((n*g.F+f)*g.OH+oy)*g.OW+ox] = sum
				}
			}
		}
	}
}

// ReLUGrad sets dz = dOut where out > 0 and 0 elsewhere: the gradient
// through a ReLU, given the ReLU's output.
func ReLUGrad[T Float](out, dOut, dz []T) {
	for i, o := range out {
		if o > 0 {
			dz[i] = dOut[i]
		} else {
			dz[i] = 0
		}
	}
}

// Conv2DBackwardData sets dx to the gradient of the loss with respect to
// the convolution's input, given dz, its gradient with respect to the
// pre-activation output.
func Conv2DBackwardData[T Float](g ConvGeom, w, dz, dx []T) {
	clear(dx[:g.InSize()])
	for n := 0; n < g.N; n++ {
		for f := 0; f < g.F; f++ {
			for oy := 0; oy < g.OH; oy++ {
				for ox := 0; ox < g.OW; ox++ {
					d := dz[((n*g.F+f)*g.OH+oy)*g.OW+ox]
					for c := 0; c < g.C; c++ {
						for i := 0; i < g.K; i++ {
							y := oy*g.Stride + i - g.PadTop
							if y < 0 || y >= g.H {
								continue
							}
							for j := 0; j < g.K; j++ {
								xx := ox*g.Stride + j - g.PadLeft
								if xx < 0 || xx >= g.W {
									continue
								}
								dx[((n*g.C+c)*g.H+y)*g.W+xx] += d * w[((f*g.C+c)*g.K+i)*g.K+j]
							}
						}
					}
				}
			}
		}
	}
}

// Conv2DBackwardFilter sets dw and db to the gradients of the loss with
// respect to the filters and biases, given the input x and dz.
func Conv2DBackwardFilter[T Float](g ConvGeom, x, dz, dw, db []T) {
	clear(dw[:g.WeightSize()])
	clear(db[:g.F])
	for n := 0; n < g.N; n++ {
		for f := 0; f < g.F; f++ {
			for oy := 0; oy < g.OH; oy++ {
				for ox := 0; ox < g.OW; ox++ {
					d := dz[((n*g.F+f)*g.OH+oy)*g.OW+ox]
					db[f] += d
					for c := 0; c < g.C; c++ {
						for i := 0; i < g.K; i++ {
							y := oy*g.Stride + i - g.PadTop
							if y < 0 || y >= g.H {
								continue
							}
							for j := 0; j < g.K; j++ {
								xx := ox*g.Stride + j - g.PadLeft
								if xx < 0 || xx >= g.W {
									continue
								}
								dw[((f*g.C+c)*g.K+i)*g.K+j] += d * x[((n*g.C+c)*g.H+y)*g.W+xx]
							}
						}
					}
				}
			}
		}
	}
}

// PoolGeom is the geometry of a P×P max pooling with stride P (Keras'
// default): input N×C×H×W, output N×C×(H/P)×(W/P), the remainder dropped.
type PoolGeom struct {
	N, C, H, W, P int
	OH, OW        int
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
	for nc := 0; nc < g.N*g.C; nc++ {
		plane := x[nc*g.H*g.W:]
		for oy := 0; oy < g.OH; oy++ {
			for ox := 0; ox < g.OW; ox++ {
				m := plane[oy*g.P*g.W+ox*g.P]
				for i := 0; i < g.P; i++ {
					for j := 0; j < g.P; j++ {
						if v := plane[(oy*g.P+i)*g.W+ox*g.P+j]; v > m {
							m = v
						}
					}
				}
				out[(nc*g.OH+oy)*g.OW+ox] = m
			}
		}
	}
}

// MaxPoolBackward sets dx: each window's gradient goes to the first
// position (row-major) that holds the window's maximum, as TensorFlow does.
func MaxPoolBackward[T Float](g PoolGeom, x, out, dOut, dx []T) {
	clear(dx[:g.InSize()])
	for nc := 0; nc < g.N*g.C; nc++ {
		base := nc * g.H * g.W
		for oy := 0; oy < g.OH; oy++ {
			for ox := 0; ox < g.OW; ox++ {
				o := (nc*g.OH+oy)*g.OW + ox
				m := out[o]
			window:
				for i := 0; i < g.P; i++ {
					for j := 0; j < g.P; j++ {
						idx := base + (oy*g.P+i)*g.W + ox*g.P + j
						if x[idx] == m {
							dx[idx] += dOut[o]
							break window
						}
					}
				}
			}
		}
	}
}
