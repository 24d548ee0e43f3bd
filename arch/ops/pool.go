package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"convlab/arch/kernels"
)

// MaxPool2DOp is a P×P max pooling with stride P over N×C×H×W.
type MaxPool2DOp struct {
	base
	p   int
	out buffer
}

// MaxPool2D applies a pool×pool max pooling with stride pool.
func MaxPool2D(cfg *Config, x *G.Node, pool int) (*G.Node, error) {
	op := &MaxPool2DOp{base: newBase(fmt.Sprintf("MaxPool2D(%d)", pool), cfg), p: pool}
	return apply("maxpool2d", op, x)
}

func poolGeom(name string, s tensor.Shape, p int) (kernels.PoolGeom, error) {
	if s.Dims() != 4 {
		return kernels.PoolGeom{}, fmt.Errorf("%s: input %v must have rank 4", name, s)
	}
	return kernels.NewPoolGeom(s[0], s[1], s[2], s[3], p)
}

func (op *MaxPool2DOp) Arity() int    { return 1 }
func (op *MaxPool2DOp) Type() hm.Type { return hm.NewFnType(tt(4), tt(4)) }
func (op *MaxPool2DOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapes(op.name, ds, 1)
	if err != nil {
		return nil, err
	}
	g, err := poolGeom(op.name, s[0], op.p)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.N, g.C, g.OH, g.OW}, nil
}
func (op *MaxPool2DOp) Do(vals ...G.Value) (G.Value, error) {
	in, err := inputs(op.name, vals, 1, 4)
	if err != nil {
		return nil, err
	}
	x := in[0]
	g, err := poolGeom(op.name, x.Shape(), op.p)
	if err != nil {
		return nil, err
	}
	g.Workers = op.cfg.Threads()
	out := op.out.get(x.Dtype(), g.N, g.C, g.OH, g.OW)
	forDtype(x.Dtype(), maxPoolForward[float32], maxPoolForward[float64])(g, x, out)
	return op.done(vals, out), nil
}

func maxPoolForward[T float](g kernels.PoolGeom, x, out *tensor.Dense) {
	kernels.MaxPoolForward(g, floats[T](x), floats[T](out))
}

func (op *MaxPool2DOp) DiffWRT(int) []bool { return []bool{true} }
func (op *MaxPool2DOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if err := checkArity(op.name, len(inputs), 1); err != nil {
		return nil, err
	}
	bop := &MaxPool2DBackwardOp{base: newBase(fmt.Sprintf("MaxPool2DBackward(%d)", op.p), op.cfg), p: op.p}
	dx, err := apply(op.name+": backward", bop, inputs[0], output, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// MaxPool2DBackwardOp routes each window's gradient to the first position
// holding the window's maximum, found again from x and the pooled output.
type MaxPool2DBackwardOp struct {
	base
	p   int
	out buffer
}

func (op *MaxPool2DBackwardOp) Arity() int { return 3 }
func (op *MaxPool2DBackwardOp) Type() hm.Type {
	return hm.NewFnType(tt(4), tt(4), tt(4), tt(4))
}
func (op *MaxPool2DBackwardOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return firstShape(op.name, ds)
}
func (op *MaxPool2DBackwardOp) Do(vals ...G.Value) (G.Value, error) {
	in, err := inputs(op.name, vals, 3, 4, 4, 4)
	if err != nil {
		return nil, err
	}
	x, y, dy := in[0], in[1], in[2]
	g, err := poolGeom(op.name, x.Shape(), op.p)
	if err != nil {
		return nil, err
	}
	want := tensor.Shape{g.N, g.C, g.OH, g.OW}
	if !y.Shape().Eq(want) || !dy.Shape().Eq(want) {
		return nil, fmt.Errorf("%s: output %v and gradient %v must have shape %v", op.name, y.Shape(), dy.Shape(), want)
	}
	g.Workers = op.cfg.Threads()
	out := op.out.get(x.Dtype(), g.N, g.C, g.H, g.W)
	forDtype(x.Dtype(), maxPoolBackward[float32], maxPoolBackward[float64])(g, x, y, dy, out)
	return op.done(vals, out), nil
}

func maxPoolBackward[T float](g kernels.PoolGeom, x, y, dy, dx *tensor.Dense) {
	kernels.MaxPoolBackward(g, floats[T](x), floats[T](y), floats[T](dy), floats[T](dx))
}
