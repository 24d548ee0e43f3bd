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
	return apply("conv2d", op, x, w, b)
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
	s, err := shapes(op.name, ds, 2)
	if err != nil {
		return nil, err
	}
	g, err := op.geom(s[0], s[1])
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.N, g.F, g.OH, g.OW}, nil
}

func (op *Conv2DOp) Do(vals ...G.Value) (G.Value, error) {
	in, err := inputs(op.name, vals, 3, 4, 4, 1)
	if err != nil {
		return nil, err
	}
	x, w, b := in[0], in[1], in[2]
	g, err := op.geom(x.Shape(), w.Shape())
	if err != nil {
		return nil, err
	}
	g.Workers = op.cfg.Threads()
	if b.Shape()[0] != g.F {
		return nil, fmt.Errorf("%s: bias has %d values, want %d (one per filter)", op.name, b.Shape()[0], g.F)
	}
	out := op.out.get(x.Dtype(), g.N, g.F, g.OH, g.OW)
	forDtype(x.Dtype(), conv2DForward[float32], conv2DForward[float64])(g, x, w, b, out, op.p.ReLU)
	return op.done(vals, out), nil
}

func conv2DForward[T float](g kernels.ConvGeom, x, w, b, out *tensor.Dense, relu bool) {
	kernels.Conv2DForward(g, floats[T](x), floats[T](w), floats[T](b), floats[T](out), relu)
}

func (op *Conv2DOp) DiffWRT(int) []bool { return []bool{!op.p.NoInputGrad, true, true} }

func (op *Conv2DOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if err := checkArity(op.name, len(inputs), 3); err != nil {
		return nil, err
	}
	x, w := inputs[0], inputs[1]
	if op.p.ReLU {
		return op.reluGrads(x, w, output, grad)
	}
	xs := x.Shape()
	var dx *G.Node
	var err error
	if !op.p.NoInputGrad {
		bd := &ConvBackwardDataOp{base: newBase("Conv2DBackwardData", op.cfg), p: op.p, c: xs[1], h: xs[2], w: xs[3]}
		if dx, err = apply(op.name+": backward data", bd, w, grad); err != nil {
			return nil, err
		}
	}
	bf := &ConvBackwardFilterOp{base: newBase("Conv2DBackwardFilter", op.cfg), p: op.p, k: w.Shape()[2]}
	dw, err := apply(op.name+": backward filter", bf, x, grad)
	if err != nil {
		return nil, err
	}
	db, err := op.biasGrad(bf, dw)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw, db}, nil
}

// reluGrads is SymDiff with a fused ReLU: one op takes the ReLU's output
// and its gradient and makes dz image by image as it reads it, for the
// filter gradient and (unless the input needs none) the input gradient in
// the same pass (see kernels.Conv2DBackwardReLU). No ReLUGrad writes all
// of dz, and nothing reads it back.
func (op *Conv2DOp) reluGrads(x, w, output, grad *G.Node) (G.Nodes, error) {
	bf := &ConvBackwardFilterOp{base: newBase("Conv2DBackwardFilter", op.cfg), p: op.p, k: w.Shape()[2], relu: true, data: !op.p.NoInputGrad}
	in := G.Nodes{x, output, grad}
	if bf.data {
		in = G.Nodes{x, w, output, grad}
	}
	dw, err := apply(op.name+": backward", bf, in...)
	if err != nil {
		return nil, err
	}
	var dx *G.Node
	if bf.data {
		ig := &ConvInputGradOp{base: newBase("Conv2DInputGrad", op.cfg), src: bf, shape: x.Shape().Clone()}
		if dx, err = apply(op.name+": input gradient", ig, dw); err != nil {
			return nil, err
		}
	}
	db, err := op.biasGrad(bf, dw)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw, db}, nil
}

// biasGrad hands on the bias gradient the filter kernel computes too.
func (op *Conv2DOp) biasGrad(bf *ConvBackwardFilterOp, dw *G.Node) (*G.Node, error) {
	return side(op.cfg, op.name+": bias gradient", "Conv2DBiasGrad", dw, tensor.Shape{dw.Shape()[0]},
		func() *tensor.Dense { return bf.db.t })
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
	s, err := shapes(op.name, ds, 2)
	if err != nil {
		return nil, err
	}
	g, err := op.geom(s[0], s[1])
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.N, g.C, g.H, g.W}, nil
}
func (op *ConvBackwardDataOp) Do(vals ...G.Value) (G.Value, error) {
	in, err := inputs(op.name, vals, 2, 4, 4)
	if err != nil {
		return nil, err
	}
	w, dz := in[0], in[1]
	g, err := op.geom(w.Shape(), dz.Shape())
	if err != nil {
		return nil, err
	}
	g.Workers = op.cfg.Threads()
	out := op.out.get(w.Dtype(), g.N, g.C, g.H, g.W)
	forDtype(w.Dtype(), conv2DBackwardData[float32], conv2DBackwardData[float64])(g, w, dz, out)
	return op.done(vals, out), nil
}

func conv2DBackwardData[T float](g kernels.ConvGeom, w, dz, dx *tensor.Dense) {
	kernels.Conv2DBackwardData(g, floats[T](w), floats[T](dz), floats[T](dx))
}

// ConvBackwardFilterOp is dw = the gradient of a convolution with respect
// to its filters, from the input x and dz.
type ConvBackwardFilterOp struct {
	base
	p   ConvParams
	k   int
	out buffer
	db  buffer // the bias gradient, which the kernel computes too
	// relu: dz is made from the ReLU's output and its gradient, the
	// inputs x, out, dOut (see kernels.Conv2DBackwardFilterReLU). data
	// (with relu): the input gradient is made in the same pass into dx,
	// which ConvInputGradOp hands on; the inputs x, w, out, dOut (see
	// kernels.Conv2DBackwardReLU).
	relu, data bool
	dx         buffer
	dxOut      *tensor.Dense // this run's input gradient, for ConvInputGradOp
}

func (op *ConvBackwardFilterOp) Arity() int {
	switch {
	case op.data:
		return 4
	case op.relu:
		return 3
	}
	return 2
}
func (op *ConvBackwardFilterOp) Type() hm.Type {
	ts := make([]hm.Type, op.Arity()+1)
	for i := range ts {
		ts[i] = tt(4)
	}
	return hm.NewFnType(ts...)
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
	s, err := shapes(op.name, ds, op.Arity())
	if err != nil {
		return nil, err
	}
	g, err := op.geom(s[0], s[op.Arity()-1]) // the last input has dz's shape
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.F, g.C, g.K, g.K}, nil
}
func (op *ConvBackwardFilterOp) Do(vals ...G.Value) (G.Value, error) {
	n := op.Arity()
	in, err := inputs(op.name, vals, n, []int{4, 4, 4, 4}[:n]...)
	if err != nil {
		return nil, err
	}
	x, dz := in[0], in[n-1]
	g, err := op.geom(x.Shape(), dz.Shape())
	if err != nil {
		return nil, err
	}
	g.Workers = op.cfg.Threads()
	out := op.out.get(x.Dtype(), g.F, g.C, g.K, g.K)
	db := op.db.get(x.Dtype(), g.F)
	if op.relu {
		y, dy := in[n-2], in[n-1]
		if !y.Shape().Eq(dy.Shape()) {
			return nil, fmt.Errorf("%s: output %v and gradient %v differ in shape", op.name, y.Shape(), dy.Shape())
		}
		if !op.data {
			forDtype(x.Dtype(), conv2DBackwardFilterReLU[float32], conv2DBackwardFilterReLU[float64])(g, x, y, dy, out, db)
			return op.done(vals, out), nil
		}
		w := in[1]
		if ws := (tensor.Shape{g.F, g.C, g.K, g.K}); !w.Shape().Eq(ws) {
			return nil, fmt.Errorf("%s: filters %v, want %v", op.name, w.Shape(), ws)
		}
		// dx takes over dy's buffer when this op reads dy last and the two
		// are one size (see kernels.Conv2DBackwardReLU): where a layer keeps
		// its channels and size, one input-gradient buffer fewer alive.
		dx := op.dx.asView(dy, tensor.Shape{g.N, g.C, g.H, g.W})
		if dx == nil {
			dx = op.dx.get(x.Dtype(), g.N, g.C, g.H, g.W)
		}
		op.dxOut = dx
		forDtype(x.Dtype(), conv2DBackwardReLU[float32], conv2DBackwardReLU[float64])(g, x, w, y, dy, dx, out, db)
		return op.done(vals, out), nil
	}
	forDtype(x.Dtype(), conv2DBackwardFilter[float32], conv2DBackwardFilter[float64])(g, x, dz, out, db)
	return op.done(vals, out), nil
}

func conv2DBackwardFilter[T float](g kernels.ConvGeom, x, dz, dw, db *tensor.Dense) {
	kernels.Conv2DBackwardFilter(g, floats[T](x), floats[T](dz), floats[T](dw), floats[T](db))
}

func conv2DBackwardFilterReLU[T float](g kernels.ConvGeom, x, y, dy, dw, db *tensor.Dense) {
	kernels.Conv2DBackwardFilterReLU(g, floats[T](x), floats[T](y), floats[T](dy), floats[T](dw), floats[T](db))
}

func conv2DBackwardReLU[T float](g kernels.ConvGeom, x, w, y, dy, dx, dw, db *tensor.Dense) {
	kernels.Conv2DBackwardReLU(g, floats[T](x), floats[T](w), floats[T](y), floats[T](dy), floats[T](dx), floats[T](dw), floats[T](db))
}

// ConvInputGradOp returns the input gradient its ConvBackwardFilterOp
// (in data mode) computed along with the filter gradient. Its input is
// that op's output, so that it runs after it.
type ConvInputGradOp struct {
	base
	src   *ConvBackwardFilterOp
	shape tensor.Shape // the convolution's input's
}

func (op *ConvInputGradOp) Arity() int    { return 1 }
func (op *ConvInputGradOp) Type() hm.Type { return hm.NewFnType(tt(4), tt(4)) }
func (op *ConvInputGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if _, err := shapes(op.name, ds, 1); err != nil {
		return nil, err
	}
	return op.shape.Clone(), nil
}
func (op *ConvInputGradOp) Do(vals ...G.Value) (G.Value, error) {
	in, err := inputs(op.name, vals, 1, 4)
	if err != nil {
		return nil, err
	}
	dx := op.src.dxOut
	if dx == nil || dx.Dtype() != in[0].Dtype() || !dx.Shape().Eq(op.shape) {
		return nil, fmt.Errorf("%s: the input gradient has not been computed in this run", op.name)
	}
	return op.done(vals, dx), nil
}

// sideOp hands on a value another op computed along with its output (a
// filter gradient's bias gradient, say). Its one input is that op's
// output, so that it runs after it.
type sideOp struct {
	base
	rank  int                  // the input's
	value func() *tensor.Dense // the value, once its op has run
	shape tensor.Shape
}

// side adds a sideOp handing on value, of the given shape, after src's op.
func side(cfg *Config, what, name string, src *G.Node, shape tensor.Shape, value func() *tensor.Dense) (*G.Node, error) {
	return apply(what, &sideOp{base: newBase(name, cfg), rank: src.Dims(), value: value, shape: shape}, src)
}

func (op *sideOp) Arity() int    { return 1 }
func (op *sideOp) Type() hm.Type { return hm.NewFnType(tt(op.rank), tt(op.shape.Dims())) }
func (op *sideOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if _, err := shapes(op.name, ds, 1); err != nil {
		return nil, err
	}
	return op.shape.Clone(), nil
}
func (op *sideOp) Do(vals ...G.Value) (G.Value, error) {
	in, err := inputs(op.name, vals, 1, op.rank)
	if err != nil {
		return nil, err
	}
	v := op.value()
	if v == nil || v.Dtype() != in[0].Dtype() || !v.Shape().Eq(op.shape) {
		return nil, fmt.Errorf("%s: the value has not been computed in this run", op.name)
	}
	return op.done(vals, v), nil
}

// ReLUGradOp is dz = dOut where out > 0, else 0.
type ReLUGradOp struct {
	base
	out buffer
}

// ReLUGrad returns the gradient through a ReLU whose output is out.
func ReLUGrad(cfg *Config, out, dOut *G.Node) (*G.Node, error) {
	return apply("relu grad", &ReLUGradOp{base: newBase("ReLUGrad", cfg)}, out, dOut)
}

func (op *ReLUGradOp) Arity() int { return 2 }
func (op *ReLUGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a, a)
}
func (op *ReLUGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return firstShape(op.name, ds)
}
func (op *ReLUGradOp) Do(vals ...G.Value) (G.Value, error) {
	in, err := inputs(op.name, vals, 2, 0, 0)
	if err != nil {
		return nil, err
	}
	o, d := in[0], in[1]
	if !o.Shape().Eq(d.Shape()) {
		return nil, fmt.Errorf("%s: output %v and gradient %v differ in shape", op.name, o.Shape(), d.Shape())
	}
	// Elementwise, so the gradient may overwrite dOut when this is its
	// last reader: one gradient buffer fewer alive per layer.
	out := op.out.inPlace(d)
	if out == nil {
		out = op.out.get(o.Dtype(), o.Shape()...)
	}
	forDtype(o.Dtype(), reluGrad[float32], reluGrad[float64])(o, d, out, op.cfg.Threads())
	return op.done(vals, out), nil
}

func reluGrad[T float](out, dOut, dz *tensor.Dense, threads int) {
	kernels.ReLUGrad(floats[T](out), floats[T](dOut), floats[T](dz), threads)
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
	return apply("bias grad", &BiasGradOp{base: newBase("BiasGrad", cfg), rank: dz.Dims()}, dz)
}

func (op *BiasGradOp) Arity() int { return 1 }
func (op *BiasGradOp) Type() hm.Type {
	return hm.NewFnType(tt(op.rank), tt(1))
}
func (op *BiasGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapes(op.name, ds, 1)
	if err != nil {
		return nil, err
	}
	if s[0].Dims() < 2 {
		return nil, fmt.Errorf("%s: gradient %v must have rank 2 or more", op.name, s[0])
	}
	return tensor.Shape{s[0][1]}, nil
}
func (op *BiasGradOp) Do(vals ...G.Value) (G.Value, error) {
	in, err := inputs(op.name, vals, 1, 0)
	if err != nil {
		return nil, err
	}
	d := in[0]
	s := d.Shape()
	if s.Dims() < 2 {
		return nil, fmt.Errorf("%s: gradient %v must have rank 2 or more", op.name, s)
	}
	inner := 1
	for _, v := range s[2:] {
		inner *= v
	}
	out := op.out.get(d.Dtype(), s[1])
	forDtype(d.Dtype(), biasGrad[float32], biasGrad[float64])(d, out, s[0], s[1], inner, op.cfg.Threads())
	return op.done(vals, out), nil
}

func biasGrad[T float](dz, db *tensor.Dense, n, c, inner, threads int) {
	kernels.BiasGrad(floats[T](dz), floats[T](db), n, c, inner, threads)
}
