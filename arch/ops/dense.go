package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"convlab/arch/kernels"
)

// DenseOp is out = act(x·w + b) for x N×D, w D×U, b U.
type DenseOp struct {
	base
	relu bool
	out  buffer
}

// Dense applies a fully connected layer, with a ReLU when relu is set.
func Dense(cfg *Config, x, w, b *G.Node, relu bool) (*G.Node, error) {
	op := &DenseOp{base: newBase(fmt.Sprintf("Dense(relu=%t)", relu), cfg), relu: relu}
	n, err := G.ApplyOp(op, x, w, b)
	if err != nil {
		return nil, fmt.Errorf("dense: %w", err)
	}
	return n, nil
}

func (op *DenseOp) Arity() int { return 3 }
func (op *DenseOp) Type() hm.Type {
	return hm.NewFnType(tt(2), tt(2), tt(1), tt(2))
}
func denseShapes(name string, x, w tensor.Shape) error {
	if x.Dims() != 2 || w.Dims() != 2 || x[1] != w[0] {
		return fmt.Errorf("%s: input %v and kernel %v do not fit (want N×D and D×U)", name, x, w)
	}
	return nil
}
func (op *DenseOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	xs, err := shapeOf(op.name, ds, 0)
	if err != nil {
		return nil, err
	}
	ws, err := shapeOf(op.name, ds, 1)
	if err != nil {
		return nil, err
	}
	if err := denseShapes(op.name, xs, ws); err != nil {
		return nil, err
	}
	return tensor.Shape{xs[0], ws[1]}, nil
}
func (op *DenseOp) Do(vals ...G.Value) (G.Value, error) {
	if err := checkArity(op.name, vals, 3); err != nil {
		return nil, err
	}
	x, err := dense(op.name, vals, 0, 2)
	if err != nil {
		return nil, err
	}
	w, err := dense(op.name, vals, 1, 2)
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
	if err := denseShapes(op.name, x.Shape(), w.Shape()); err != nil {
		return nil, err
	}
	n, d, u := x.Shape()[0], w.Shape()[0], w.Shape()[1]
	if b.Shape()[0] != u {
		return nil, fmt.Errorf("%s: bias has %d values, want %d (one per unit)", op.name, b.Shape()[0], u)
	}
	out := op.out.get(x.Dtype(), n, u)
	switch x.Dtype() {
	case tensor.Float32:
		kernels.DenseForward(x.Float32s(), w.Float32s(), b.Float32s(), out.Float32s(), n, d, u, op.relu, op.cfg.Threads())
	case tensor.Float64:
		kernels.DenseForward(x.Float64s(), w.Float64s(), b.Float64s(), out.Float64s(), n, d, u, op.relu, op.cfg.Threads())
	}
	return out, nil
}

func (op *DenseOp) DiffWRT(int) []bool { return []bool{true, true, true} }
func (op *DenseOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != 3 {
		return nil, fmt.Errorf("%s: takes 3 inputs, got %d", op.name, len(inputs))
	}
	x, w := inputs[0], inputs[1]
	dz := grad
	var err error
	if op.relu {
		if dz, err = ReLUGrad(op.cfg, output, grad); err != nil {
			return nil, err
		}
	}
	dx, err := G.ApplyOp(&DenseBackwardDataOp{base: newBase("DenseBackwardData", op.cfg)}, dz, w)
	if err != nil {
		return nil, fmt.Errorf("%s: backward data: %w", op.name, err)
	}
	dw, err := G.ApplyOp(&DenseBackwardFilterOp{base: newBase("DenseBackwardFilter", op.cfg)}, x, dz)
	if err != nil {
		return nil, fmt.Errorf("%s: backward filter: %w", op.name, err)
	}
	db, err := BiasGrad(op.cfg, dz)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw, db}, nil
}

// DenseBackwardDataOp is dx = dz·wᵀ.
type DenseBackwardDataOp struct {
	base
	out buffer
}

func (op *DenseBackwardDataOp) Arity() int { return 2 }
func (op *DenseBackwardDataOp) Type() hm.Type {
	return hm.NewFnType(tt(2), tt(2), tt(2))
}
func (op *DenseBackwardDataOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	dz, err := shapeOf(op.name, ds, 0)
	if err != nil {
		return nil, err
	}
	w, err := shapeOf(op.name, ds, 1)
	if err != nil {
		return nil, err
	}
	if dz.Dims() != 2 || w.Dims() != 2 || dz[1] != w[1] {
		return nil, fmt.Errorf("%s: gradient %v and kernel %v do not fit (want N×U and D×U)", op.name, dz, w)
	}
	return tensor.Shape{dz[0], w[0]}, nil
}
func (op *DenseBackwardDataOp) Do(vals ...G.Value) (G.Value, error) {
	if err := checkArity(op.name, vals, 2); err != nil {
		return nil, err
	}
	dz, err := dense(op.name, vals, 0, 2)
	if err != nil {
		return nil, err
	}
	w, err := dense(op.name, vals, 1, 2)
	if err != nil {
		return nil, err
	}
	if err := sameDtype(op.name, dz, w); err != nil {
		return nil, err
	}
	n, u, d := dz.Shape()[0], dz.Shape()[1], w.Shape()[0]
	if w.Shape()[1] != u {
		return nil, fmt.Errorf("%s: gradient %v and kernel %v do not fit (want N×U and D×U)", op.name, dz.Shape(), w.Shape())
	}
	out := op.out.get(dz.Dtype(), n, d)
	switch dz.Dtype() {
	case tensor.Float32:
		kernels.DenseBackwardData(dz.Float32s(), w.Float32s(), out.Float32s(), n, d, u, op.cfg.Threads())
	case tensor.Float64:
		kernels.DenseBackwardData(dz.Float64s(), w.Float64s(), out.Float64s(), n, d, u, op.cfg.Threads())
	}
	return out, nil
}

// DenseBackwardFilterOp is dw = xᵀ·dz.
type DenseBackwardFilterOp struct {
	base
	out buffer
}

func (op *DenseBackwardFilterOp) Arity() int { return 2 }
func (op *DenseBackwardFilterOp) Type() hm.Type {
	return hm.NewFnType(tt(2), tt(2), tt(2))
}
func (op *DenseBackwardFilterOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	x, err := shapeOf(op.name, ds, 0)
	if err != nil {
		return nil, err
	}
	dz, err := shapeOf(op.name, ds, 1)
	if err != nil {
		return nil, err
	}
	if x.Dims() != 2 || dz.Dims() != 2 || x[0] != dz[0] {
		return nil, fmt.Errorf("%s: input %v and gradient %v do not fit (want N×D and N×U)", op.name, x, dz)
	}
	return tensor.Shape{x[1], dz[1]}, nil
}
func (op *DenseBackwardFilterOp) Do(vals ...G.Value) (G.Value, error) {
	if err := checkArity(op.name, vals, 2); err != nil {
		return nil, err
	}
	x, err := dense(op.name, vals, 0, 2)
	if err != nil {
		return nil, err
	}
	dz, err := dense(op.name, vals, 1, 2)
	if err != nil {
		return nil, err
	}
	if err := sameDtype(op.name, x, dz); err != nil {
		return nil, err
	}
	n, d, u := x.Shape()[0], x.Shape()[1], dz.Shape()[1]
	if dz.Shape()[0] != n {
		return nil, fmt.Errorf("%s: input %v and gradient %v do not fit (want N×D and N×U)", op.name, x.Shape(), dz.Shape())
	}
	out := op.out.get(x.Dtype(), d, u)
	switch x.Dtype() {
	case tensor.Float32:
		kernels.DenseBackwardFilter(x.Float32s(), dz.Float32s(), out.Float32s(), n, d, u, op.cfg.Threads())
	case tensor.Float64:
		kernels.DenseBackwardFilter(x.Float64s(), dz.Float64s(), out.Float64s(), n, d, u, op.cfg.Threads())
	}
	return out, nil
}
