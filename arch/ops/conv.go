package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"convlab/arch/kernels"
)

// ConvParams are the settings of a convolution.
type ConvParams struct {
	Stride  int
	Padding string // "same" or "valid"
	ReLU    bool   // apply a ReLU after adding the bias
	// NoInputGrad skips the gradient with respect to the input, for a
	// first layer whose input is data.
	NoInputGrad bool
}

// Conv2DOp is out = act(conv(x, w) + b) for x N×C×H×W, w F×C×K×K, b F.
type Conv2DOp struct {
	base
	p   ConvParams
	out buffer
}

// Conv2D applies a convolution with fused bias and optional ReLU.
func Conv2D(cfg *Config, x, w, b *G.Node, p ConvParams) (*G.Node, error) {
	op := &Conv2DOp{base: newBase(fmt.Sprintf("Conv2D(s%d,%s,relu=%t)", p.Stride, p.Padding, p.ReLU), cfg), p: p}
	n, err := G.ApplyOp(op, x, w, b)
	if err != nil {
		return nil, fmt.Errorf("conv2d: %w", err)
	}
	return n, nil
}

func (op *Conv2DOp) geom(x, w tensor.Shape) (kernels.ConvGeom, error) {
	if x.Dims() != 4 || w.Dims() != 4 {
		return kernels.ConvGeom{}, fmt.Errorf("%s: input %v and filters %v must both have rank 4", op.name, x, w)
	}
	if w[1] != x[1] || w[2] != w[3] {
		return kernels.ConvGeom{}, fmt.Errorf("%s: filters %v do not fit input %v (want F×%d×K×K)", op.name, w, x, x[1])
	}
	return kernels.NewConvGeom(x[0], x[1], x[2], x[3], w[0], w[2], op.p.Stride, op.p.Padding)
}

func (op *Conv2DOp) Arity() int { return 3 }
func (op *Conv2DOp) Type() hm.Type {
	return hm.NewFnType(tt(4), tt(4), tt(1), tt(4))
}
func (op *Conv2DOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	xs, err := shapeOf(op.name, ds, 0)
	if err != nil {
		return nil, err
	}
	ws, err := shapeOf(op.name, ds, 1)
	if err != nil {
		return nil, err
	}
	g, err := op.geom(xs, ws)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.N, g.F, g.OH, g.OW}, nil
}

func (op *Conv2DOp) Do(vals ...G.Value) (G.Value, error) {
	if err := checkArity(op.name, vals, 3); err != nil {
		return nil, err
	}
	x, err := dense(op.name, vals, 0, 4)
	if err != nil {
		return nil, err
	}
	w, err := dense(op.name, vals, 1, 4)
	if err != nil {
		return nil, err
	}
	b, err := dense(op.name, vals, 2, 1)
	if err != nil {
		return nil, err
	}
	if err := sameDtype(op.name, x, w, b); err != nil {
		return nil, err
	}
	g, err := op.geom(x.Shape(), w.Shape())
	if err != nil {
		return nil, err
	}
	g.Workers = op.cfg.Threads()
	if b.Shape()[0] != g.F {
		return nil, fmt.Errorf("%s: bias has %d values, want %d (one per filter)", op.name, b.Shape()[0], g.F)
	}
	out := op.out.get(x.Dtype(), g.N, g.F, g.OH, g.OW)
	switch x.Dtype() {
	case tensor.Float32:
		kernels.Conv2DForward(g, x.Float32s(), w.Float32s(), b.Float32s(), out.Float32s(), op.p.ReLU)
	case tensor.Float64:
		kernels.Conv2DForward(g, x.Float64s(), w.Float64s(), b.Float64s(), out.Float64s(), op.p.ReLU)
	}
	return out, nil
}

func (op *Conv2DOp) DiffWRT(int) []bool { return []bool{!op.p.NoInputGrad, true, true} }

func (op *Conv2DOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != 3 {
		return nil, fmt.Errorf("%s: takes 3 inputs, got %d", op.name, len(inputs))
	}
	x, w := inputs[0], inputs[1]
	dz := grad
	var err error
	if op.p.ReLU {
		if dz, err = ReLUGrad(op.cfg, output, grad); err != nil {
			return nil, err
		}
	}
	xs := x.Shape()
	var dx *G.Node
	if !op.p.NoInputGrad {
		bd := &ConvBackwardDataOp{base: newBase("Conv2DBackwardData", op.cfg), p: op.p, c: xs[1], h: xs[2], w: xs[3]}
		if dx, err = G.ApplyOp(bd, w, dz); err != nil {
			return nil, fmt.Errorf("%s: backward data: %w", op.name, err)
		}
	}
	bf := &ConvBackwardFilterOp{base: newBase("Conv2DBackwardFilter", op.cfg), p: op.p, k: w.Shape()[2]}
	dw, err := G.ApplyOp(bf, x, dz)
	if err != nil {
		return nil, fmt.Errorf("%s: backward filter: %w", op.name, err)
	}
	// The filter kernel computes the bias gradient too; hand it on.
	db, err := G.ApplyOp(&ConvBiasGradOp{base: newBase("Conv2DBiasGrad", op.cfg), src: bf}, dw)
	if err != nil {
		return nil, fmt.Errorf("%s: bias gradient: %w", op.name, err)
	}
	return G.Nodes{dx, dw, db}, nil
}

// ConvBackwardDataOp is dx = the gradient of a convolution with respect
// to its input, from the filters w and dz, the gradient with respect to
// the pre-activation output.
type ConvBackwardDataOp struct {
	base
	p       ConvParams
	c, h, w int // input channels, height and width
	out     buffer
}

func (op *ConvBackwardDataOp) Arity() int { return 2 }
func (op *ConvBackwardDataOp) Type() hm.Type {
	return hm.NewFnType(tt(4), tt(4), tt(4))
}
func (op *ConvBackwardDataOp) geom(w, dz tensor.Shape) (kernels.ConvGeom, error) {
	if w.Dims() != 4 || dz.Dims() != 4 {
		return kernels.ConvGeom{}, fmt.Errorf("%s: filters %v and gradient %v must have rank 4", op.name, w, dz)
	}
	g, err := kernels.NewConvGeom(dz[0], op.c, op.h, op.w, w[0], w[2], op.p.Stride, op.p.Padding)
	if err != nil {
		return g, err
	}
	if dz[1] != g.F || dz[2] != g.OH || dz[3] != g.OW || w[1] != op.c {
		return g, fmt.Errorf("%s: gradient %v or filters %v do not fit a %dx%dx%d input", op.name, dz, w, op.c, op.h, op.w)
	}
	return g, nil
}
func (op *ConvBackwardDataOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ws, err := shapeOf(op.name, ds, 0)
	if err != nil {
		return nil, err
	}
	dzs, err := shapeOf(op.name, ds, 1)
	if err != nil {
		return nil, err
	}
	g, err := op.geom(ws, dzs)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.N, g.C, g.H, g.W}, nil
}
func (op *ConvBackwardDataOp) Do(vals ...G.Value) (G.Value, error) {
	if err := checkArity(op.name, vals, 2); err != nil {
		return nil, err
	}
	w, err := dense(op.name, vals, 0, 4)
	if err != nil {
		return nil, err
	}
	dz, err := dense(op.name, vals, 1, 4)
	if err != nil {
		return nil, err
	}
	if err := sameDtype(op.name, w, dz); err != nil {
		return nil, err
	}
	g, err := op.geom(w.Shape(), dz.Shape())
	if err != nil {
		return nil, err
	}
	g.Workers = op.cfg.Threads()
	out := op.out.get(w.Dtype(), g.N, g.C, g.H, g.W)
	switch w.Dtype() {
	case tensor.Float32:
		kernels.Conv2DBackwardData(g, w.Float32s(), dz.Float32s(), out.Float32s())
	case tensor.Float64:
		kernels.Conv2DBackwardData(g, w.Float64s(), dz.Float64s(), out.Float64s())
	}
	return out, nil
}

// ConvBackwardFilterOp is dw = the gradient of a convolution with respect
// to its filters, from the input x and dz.
type ConvBackwardFilterOp struct {
	base
	p   ConvParams
	k   int
	out buffer
	db  buffer // the bias gradient, which the kernel computes too
}

func (op *ConvBackwardFilterOp) Arity() int { return 2 }
func (op *ConvBackwardFilterOp) Type() hm.Type {
	return hm.NewFnType(tt(4), tt(4), tt(4))
}
func (op *ConvBackwardFilterOp) geom(x, dz tensor.Shape) (kernels.ConvGeom, error) {
	if x.Dims() != 4 || dz.Dims() != 4 {
		return kernels.ConvGeom{}, fmt.Errorf("%s: input %v and gradient %v must have rank 4", op.name, x, dz)
	}
	g, err := kernels.NewConvGeom(x[0], x[1], x[2], x[3], dz[1], op.k, op.p.Stride, op.p.Padding)
	if err != nil {
		return g, err
	}
	if dz[0] != g.N || dz[2] != g.OH || dz[3] != g.OW {
		return g, fmt.Errorf("%s: gradient %v does not fit input %v", op.name, dz, x)
	}
	return g, nil
}
func (op *ConvBackwardFilterOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	xs, err := shapeOf(op.name, ds, 0)
	if err != nil {
		return nil, err
	}
	dzs, err := shapeOf(op.name, ds, 1)
	if err != nil {
		return nil, err
	}
	g, err := op.geom(xs, dzs)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.F, g.C, g.K, g.K}, nil
}
func (op *ConvBackwardFilterOp) Do(vals ...G.Value) (G.Value, error) {
	if err := checkArity(op.name, vals, 2); err != nil {
		return nil, err
	}
	x, err := dense(op.name, vals, 0, 4)
	if err != nil {
		return nil, err
	}
	dz, err := dense(op.name, vals, 1, 4)
	if err != nil {
		return nil, err
	}
	if err := sameDtype(op.name, x, dz); err != nil {
		return nil, err
	}
	g, err := op.geom(x.Shape(), dz.Shape())
	if err != nil {
		return nil, err
	}
	g.Workers = op.cfg.Threads()
	out := op.out.get(x.Dtype(), g.F, g.C, g.K, g.K)
	db := op.db.get(x.Dtype(), g.F)
	switch x.Dtype() {
	case tensor.Float32:
		kernels.Conv2DBackwardFilter(g, x.Float32s(), dz.Float32s(), out.Float32s(), db.Float32s())
	case tensor.Float64:
		kernels.Conv2DBackwardFilter(g, x.Float64s(), dz.Float64s(), out.Float64s(), db.Float64s())
	}
	return out, nil
}

// ConvBiasGradOp returns the bias gradient its ConvBackwardFilterOp
// computed along with the filter gradient. Its input is that op's output,
// so that it runs after it.
type ConvBiasGradOp struct {
	base
	src *ConvBackwardFilterOp
}

func (op *ConvBiasGradOp) Arity() int    { return 1 }
func (op *ConvBiasGradOp) Type() hm.Type { return hm.NewFnType(tt(4), tt(1)) }
func (op *ConvBiasGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapeOf(op.name, ds, 0)
	if err != nil {
		return nil, err
	}
	if s.Dims() != 4 {
		return nil, fmt.Errorf("%s: filter gradient %v must have rank 4", op.name, s)
	}
	return tensor.Shape{s[0]}, nil
}
func (op *ConvBiasGradOp) Do(vals ...G.Value) (G.Value, error) {
	if err := checkArity(op.name, vals, 1); err != nil {
		return nil, err
	}
	dw, err := dense(op.name, vals, 0, 4)
	if err != nil {
		return nil, err
	}
	db := op.src.db.t
	if db == nil || db.Dtype() != dw.Dtype() || db.Shape()[0] != dw.Shape()[0] {
		return nil, fmt.Errorf("%s: the filter gradient has not been computed in this run", op.name)
	}
	return db, nil
}

// ReLUGradOp is dz = dOut where out > 0, else 0.
type ReLUGradOp struct {
	base
	out buffer
}

// ReLUGrad returns the gradient through a ReLU whose output is out.
func ReLUGrad(cfg *Config, out, dOut *G.Node) (*G.Node, error) {
	op := &ReLUGradOp{base: newBase("ReLUGrad", cfg)}
	n, err := G.ApplyOp(op, out, dOut)
	if err != nil {
		return nil, fmt.Errorf("relu grad: %w", err)
	}
	return n, nil
}

func (op *ReLUGradOp) Arity() int { return 2 }
func (op *ReLUGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a, a)
}
func (op *ReLUGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapeOf(op.name, ds, 0)
	if err != nil {
		return nil, err
	}
	return s.Clone(), nil
}
func (op *ReLUGradOp) Do(vals ...G.Value) (G.Value, error) {
	if err := checkArity(op.name, vals, 2); err != nil {
		return nil, err
	}
	o, err := dense(op.name, vals, 0, 0)
	if err != nil {
		return nil, err
	}
	d, err := dense(op.name, vals, 1, 0)
	if err != nil {
		return nil, err
	}
	if err := sameDtype(op.name, o, d); err != nil {
		return nil, err
	}
	if !o.Shape().Eq(d.Shape()) {
		return nil, fmt.Errorf("%s: output %v and gradient %v differ in shape", op.name, o.Shape(), d.Shape())
	}
	out := op.out.get(o.Dtype(), o.Shape()...)
	switch o.Dtype() {
	case tensor.Float32:
		kernels.ReLUGrad(o.Float32s(), d.Float32s(), out.Float32s(), op.cfg.Threads())
	case tensor.Float64:
		kernels.ReLUGrad(o.Float64s(), d.Float64s(), out.Float64s(), op.cfg.Threads())
	}
	return out, nil
}

// BiasGradOp sums a gradient over every axis but axis 1: the gradient of
// a bias added along axis 1 (channels of N×C×H×W, units of N×U).
type BiasGradOp struct {
	base
	rank int
	out  buffer
}

// BiasGrad returns the gradient of the bias of a layer whose
// pre-activation gradient is dz.
func BiasGrad(cfg *Config, dz *G.Node) (*G.Node, error) {
	op := &BiasGradOp{base: newBase("BiasGrad", cfg), rank: dz.Dims()}
	n, err := G.ApplyOp(op, dz)
	if err != nil {
		return nil, fmt.Errorf("bias grad: %w", err)
	}
	return n, nil
}

func (op *BiasGradOp) Arity() int { return 1 }
func (op *BiasGradOp) Type() hm.Type {
	return hm.NewFnType(tt(op.rank), tt(1))
}
func (op *BiasGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapeOf(op.name, ds, 0)
	if err != nil {
		return nil, err
	}
	if s.Dims() < 2 {
		return nil, fmt.Errorf("%s: gradient %v must have rank 2 or more", op.name, s)
	}
	return tensor.Shape{s[1]}, nil
}
func (op *BiasGradOp) Do(vals ...G.Value) (G.Value, error) {
	if err := checkArity(op.name, vals, 1); err != nil {
		return nil, err
	}
	d, err := dense(op.name, vals, 0, 0)
	if err != nil {
		return nil, err
	}
	s := d.Shape()
	if s.Dims() < 2 {
		return nil, fmt.Errorf("%s: gradient %v must have rank 2 or more", op.name, s)
	}
	inner := 1
	for _, v := range s[2:] {
		inner *= v
	}
	out := op.out.get(d.Dtype(), s[1])
	switch d.Dtype() {
	case tensor.Float32:
		kernels.BiasGrad(d.Float32s(), out.Float32s(), s[0], s[1], inner, op.cfg.Threads())
	case tensor.Float64:
		kernels.BiasGrad(d.Float64s(), out.Float64s(), s[0], s[1], inner, op.cfg.Threads())
	}
	return out, nil
}
