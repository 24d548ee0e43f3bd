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
	return apply("dense", op, x, w, b)
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
	s, err := shapes(op.name, ds, 2)
	if err != nil {
		return nil, err
	}
	if err := denseShapes(op.name, s[0], s[1]); err != nil {
		return nil, err
	}
	return tensor.Shape{s[0][0], s[1][1]}, nil
}
func (op *DenseOp) Do(vals ...G.Value) (G.Value, error) {
	in, err := inputs(op.name, vals, 3, 2, 2, 1)
	if err != nil {
		return nil, err
	}
	x, w, b := in[0], in[1], in[2]
	if err := denseShapes(op.name, x.Shape(), w.Shape()); err != nil {
		return nil, err
	}
	n, d, u := x.Shape()[0], w.Shape()[0], w.Shape()[1]
	if b.Shape()[0] != u {
		return nil, fmt.Errorf("%s: bias has %d values, want %d (one per unit)", op.name, b.Shape()[0], u)
	}
	out := op.out.get(x.Dtype(), n, u)
	forDtype(x.Dtype(), denseForward[float32], denseForward[float64])(x, w, b, out, n, d, u, op.relu, op.cfg.Threads())
	return op.done(vals, out), nil
}

func denseForward[T float](x, w, b, out *tensor.Dense, n, d, u int, relu bool, threads int) {
	kernels.DenseForward(floats[T](x), floats[T](w), floats[T](b), floats[T](out), n, d, u, relu, threads)
}

func (op *DenseOp) DiffWRT(int) []bool { return []bool{true, true, true} }
func (op *DenseOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if err := checkArity(op.name, len(inputs), 3); err != nil {
		return nil, err
	}
	x, w := inputs[0], inputs[1]
	dz := grad
	var err error
	if op.relu {
		if dz, err = ReLUGrad(op.cfg, output, grad); err != nil {
			return nil, err
		}
	}
	dx, err := apply(op.name+": backward data", &DenseBackwardDataOp{base: newBase("DenseBackwardData", op.cfg)}, dz, w)
	if err != nil {
		return nil, err
	}
	dw, err := apply(op.name+": backward filter", &DenseBackwardFilterOp{base: newBase("DenseBackwardFilter", op.cfg)}, x, dz)
	if err != nil {
		return nil, err
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

// shapes checks the gradient N×U and the kernel D×U.
func (op *DenseBackwardDataOp) shapes(dz, w tensor.Shape) error {
	if dz.Dims() != 2 || w.Dims() != 2 || dz[1] != w[1] {
		return fmt.Errorf("%s: gradient %v and kernel %v do not fit (want N×U and D×U)", op.name, dz, w)
	}
	return nil
}
func (op *DenseBackwardDataOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapes(op.name, ds, 2)
	if err != nil {
		return nil, err
	}
	if err := op.shapes(s[0], s[1]); err != nil {
		return nil, err
	}
	return tensor.Shape{s[0][0], s[1][0]}, nil
}
func (op *DenseBackwardDataOp) Do(vals ...G.Value) (G.Value, error) {
	in, err := inputs(op.name, vals, 2, 2, 2)
	if err != nil {
		return nil, err
	}
	dz, w := in[0], in[1]
	if err := op.shapes(dz.Shape(), w.Shape()); err != nil {
		return nil, err
	}
	n, u, d := dz.Shape()[0], dz.Shape()[1], w.Shape()[0]
	out := op.out.get(dz.Dtype(), n, d)
	forDtype(dz.Dtype(), denseBackwardData[float32], denseBackwardData[float64])(dz, w, out, n, d, u, op.cfg.Threads())
	return op.done(vals, out), nil
}

func denseBackwardData[T float](dz, w, dx *tensor.Dense, n, d, u, threads int) {
	kernels.DenseBackwardData(floats[T](dz), floats[T](w), floats[T](dx), n, d, u, threads)
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

// shapes checks the input N×D and the gradient N×U.
func (op *DenseBackwardFilterOp) shapes(x, dz tensor.Shape) error {
	if x.Dims() != 2 || dz.Dims() != 2 || x[0] != dz[0] {
		return fmt.Errorf("%s: input %v and gradient %v do not fit (want N×D and N×U)", op.name, x, dz)
	}
	return nil
}
func (op *DenseBackwardFilterOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapes(op.name, ds, 2)
	if err != nil {
		return nil, err
	}
	if err := op.shapes(s[0], s[1]); err != nil {
		return nil, err
	}
	return tensor.Shape{s[0][1], s[1][1]}, nil
}
func (op *DenseBackwardFilterOp) Do(vals ...G.Value) (G.Value, error) {
	in, err := inputs(op.name, vals, 2, 2, 2)
	if err != nil {
		return nil, err
	}
	x, dz := in[0], in[1]
	if err := op.shapes(x.Shape(), dz.Shape()); err != nil {
		return nil, err
	}
	n, d, u := x.Shape()[0], x.Shape()[1], dz.Shape()[1]
	out := op.out.get(x.Dtype(), d, u)
	forDtype(x.Dtype(), denseBackwardFilter[float32], denseBackwardFilter[float64])(x, dz, out, n, d, u, op.cfg.Threads())
	return op.done(vals, out), nil
}

func denseBackwardFilter[T float](x, dz, dw *tensor.Dense, n, d, u, threads int) {
	kernels.DenseBackwardFilter(floats[T](x), floats[T](dz), floats[T](dw), n, d, u, threads)
}
