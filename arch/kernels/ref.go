package kernels

// Reference loops: the plain, obviously-correct implementations the fast
// kernels are tested against. They also serve float64 (gradient checks)
// and any call whose slices are shorter than the geometry needs, where
// they fail exactly as plain Go indexing does.

// refConv2DForward sets out = act(conv(x, w) + b), where act is ReLU when relu
// is set and the identity otherwise.
func refConv2DForward[T Float](g ConvGeom, x, w, b, out []T, relu bool) {
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

// refReLUGrad sets dz = dOut where out > 0 and 0 elsewhere: the gradient
// through a ReLU, given the ReLU's output.
func refReLUGrad[T Float](out, dOut, dz []T) {
	for i, o := range out {
		if o > 0 {
			dz[i] = dOut[i]
		} else {
			dz[i] = 0
		}
	}
}

// refConv2DBackwardData sets dx to the gradient of the loss with respect to
// the convolution's input, given dz, its gradient with respect to the
// pre-activation output.
func refConv2DBackwardData[T Float](g ConvGeom, w, dz, dx []T) {
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

// refConv2DBackwardFilter sets dw and db to the gradients of the loss with
// respect to the filters and biases, given the input x and dz.
func refConv2DBackwardFilter[T Float](g ConvGeom, x, dz, dw, db []T) {
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

// refMaxPoolForward sets out to the maximum of each window.
func refMaxPoolForward[T Float](g PoolGeom, x, out []T) {
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

// refMaxPoolBackward sets dx: each window's gradient goes to the first
// position (row-major) that holds the window's maximum, as TensorFlow does.
func refMaxPoolBackward[T Float](g PoolGeom, x, out, dOut, dx []T) {
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

// refBiasGrad sets db[j] = Σ dz[i][j][k] over i < n, k < inner.
func refBiasGrad[T Float](dz, db []T, n, c, inner int) {
	clear(db[:c])
	for i := 0; i < n; i++ {
		for j := 0; j < c; j++ {
			for k := 0; k < inner; k++ {
				db[j] += dz[(i*c+j)*inner+k]
			}
		}
	}
}

// refDenseForward sets out[i][j] = act(b[j] + Σ_k x[i][k]·w[k][j]).
func refDenseForward[T Float](x, w, b, out []T, n, d, u int, relu bool) {
	for i := 0; i < n; i++ {
		for j := 0; j < u; j++ {
			s := b[j]
			for k := 0; k < d; k++ {
				s += x[i*d+k] * w[k*u+j]
			}
			if relu && s < 0 {
				s = 0
			}
			out[i*u+j] = s
		}
	}
}

// refDenseBackwardData sets dx[i][k] = Σ_j dz[i][j]·w[k][j].
func refDenseBackwardData[T Float](dz, w, dx []T, n, d, u int) {
	for i := 0; i < n; i++ {
		for k := 0; k < d; k++ {
			var s T
			for j := 0; j < u; j++ {
				s += dz[i*u+j] * w[k*u+j]
			}
			dx[i*d+k] = s
		}
	}
}

// refDenseBackwardFilter sets dw[k][j] = Σ_i x[i][k]·dz[i][j].
func refDenseBackwardFilter[T Float](x, dz, dw []T, n, d, u int) {
	for k := 0; k < d; k++ {
		for j := 0; j < u; j++ {
			var s T
			for i := 0; i < n; i++ {
				s += x[i*d+k] * dz[i*u+j]
			}
			dw[k*u+j] = s
		}
	}
}
