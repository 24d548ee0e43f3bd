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
	n, err := G.ApplyOp(op, x)
	if err != nil {
		return nil, fmt.Errorf("maxpool2d: %w", err)
	}
	return n, nil
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
	s, err := shapeOf(op.name, ds, 0)
	if err != nil {
		return nil, err
	}
	g, err := poolGeom(op.name, s, op.p)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.N, g.C, g.OH, g.OW}, nil
}
func (op *MaxPool2DOp) Do(vals ...G.Value) (G.Value, error) {
	if err := checkArity(op.name, vals, 1); err != nil {
		return nil, err
	}
	x, err := dense(op.name, vals, 0, 4)
	if err != nil {
		return nil, err
	}
	g, err := poolGeom(op.name, x.Shape(), op.p)
	if err != nil {
		return nil, err
	}
	g.Workers = op.cfg.Threads()
	out := op.out.get(x.Dtype(), g.N, g.C, g.OH, g.OW)
	switch x.Dtype() {
	case tensor.Float32:
		kernels.MaxPoolForward(g, x.Float32s(), out.Float32s())
	case tensor.Float64:
		kernels.MaxPoolForward(g, x.Float64s(), out.Float64s())
	}
	return out, nil
}
func (op *MaxPool2DOp) DiffWRT(int) []bool { return []bool{true} }
func (op *MaxPool2DOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != 1 {
		return nil, fmt.Errorf("%s: takes 1 input, got %d", op.name, len(inputs))
	}
	bop := &MaxPool2DBackwardOp{base: newBase(fmt.Sprintf("MaxPool2DBackward(%d)", op.p), op.cfg), p: op.p}
	dx, err := G.ApplyOp(bop, inputs[0], output, grad)
	if err != nil {
		return nil, fmt.Errorf("%s: backward: %w", op.name, err)
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
	s, err := shapeOf(op.name, ds, 0)
	if err != nil {
		return nil, err
	}
	return s.Clone(), nil
}
func (op *MaxPool2DBackwardOp) Do(vals ...G.Value) (G.Value, error) {
	if err := checkArity(op.name, vals, 3); err != nil {
		return nil, err
	}
	var ts [3]*tensor.Dense
	for i := range ts {
		t, err := dense(op.name, vals, i, 4)
		if err != nil {
			return nil, err
		}
		ts[i] = t
	}
	if err := sameDtype(op.name, ts[:]...); err != nil {
		return nil, err
	}
	g, err := poolGeom(op.name, ts[0].Shape(), op.p)
	if err != nil {
		return nil, err
	}
	want := tensor.Shape{g.N, g.C, g.OH, g.OW}
	if !ts[1].Shape().Eq(want) || !ts[2].Shape().Eq(want) {
		return nil, fmt.Errorf("%s: output %v and gradient %v must have shape %v", op.name, ts[1].Shape(), ts[2].Shape(), want)
	}
	g.Workers = op.cfg.Threads()
	out := op.out.get(ts[0].Dtype(), g.N, g.C, g.H, g.W)
	switch ts[0].Dtype() {
	case tensor.Float32:
		kernels.MaxPoolBackward(g, ts[0].Float32s(), ts[1].Float32s(), ts[2].Float32s(), out.Float32s())
	case tensor.Float64:
		kernels.MaxPoolBackward(g, ts[0].Float64s(), ts[1].Float64s(), ts[2].Float64s(), out.Float64s())
	}
	return out, nil
}
