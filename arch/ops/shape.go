package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"convlab/arch/kernels"
)

// ReshapeOp gives its input a new shape with the same batch size (axis
// 0): Flatten turns N×C×H×W into N×(C·H·W), and its gradient turns it
// back. Where an arena lends both and the reshape reads its input last,
// the output is a view of the input's buffer; otherwise a copy, which
// keeps every op's output its own (gorgonia's stock reshape may reshape
// a shared tensor in place).
type ReshapeOp struct {
	base
	inRank int
	per    []int // the shape of one example after the reshape
	out    buffer
}

// Flatten reshapes x (N×...) to N×(product of the rest), in row-major
// (channels-first) order.
func Flatten(cfg *Config, x *G.Node) (*G.Node, error) {
	s := x.Shape()
	size := 1
	for _, v := range s[1:] {
		size *= v
	}
	return reshape(cfg, x, []int{size})
}

func reshape(cfg *Config, x *G.Node, per []int) (*G.Node, error) {
	op := &ReshapeOp{base: newBase(fmt.Sprintf("Reshape(N,%v)", per), cfg), inRank: x.Dims(), per: per}
	return apply("reshape", op, x)
}

func (op *ReshapeOp) Arity() int    { return 1 }
func (op *ReshapeOp) Type() hm.Type { return hm.NewFnType(tt(op.inRank), tt(1+len(op.per))) }
func (op *ReshapeOp) outShape(s tensor.Shape) (tensor.Shape, error) {
	size := 1
	for _, v := range op.per {
		size *= v
	}
	if s.Dims() < 1 || s.TotalSize() != s[0]*size {
		return nil, fmt.Errorf("%s: cannot reshape %v to N×%v", op.name, s, op.per)
	}
	return append(tensor.Shape{s[0]}, op.per...), nil
}
func (op *ReshapeOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapes(op.name, ds, 1)
	if err != nil {
		return nil, err
	}
	return op.outShape(s[0])
}
func (op *ReshapeOp) Do(vals ...G.Value) (G.Value, error) {
	in, err := inputs(op.name, vals, 1, 0)
	if err != nil {
		return nil, err
	}
	x := in[0]
	s, err := op.outShape(x.Shape())
	if err != nil {
		return nil, err
	}
	if out := op.out.asView(x, s); out != nil {
		return op.done(vals, out), nil
	}
	out := op.out.get(x.Dtype(), s...)
	forDtype(x.Dtype(), copyTensor[float32], copyTensor[float64])(out, x)
	return op.done(vals, out), nil
}

func copyTensor[T float](dst, src *tensor.Dense) { copy(floats[T](dst), floats[T](src)) }

func (op *ReshapeOp) DiffWRT(int) []bool { return []bool{true} }
func (op *ReshapeOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if err := checkArity(op.name, len(inputs), 1); err != nil {
		return nil, err
	}
	s := inputs[0].Shape()
	dx, err := reshape(op.cfg, grad, append([]int(nil), s[1:]...))
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// MaskOp is x*mask elementwise: dropout, given a mask that holds 0 for a
// dropped value and 1/(1-rate) for a kept one (Keras' inverted dropout).
// The caller draws the mask, so that dropout follows the caller's seeded
// random stream.
type MaskOp struct {
	base
	out buffer
}

// Mask multiplies x elementwise by mask (same shape); the gradient flows
// to x only.
func Mask(cfg *Config, x, mask *G.Node) (*G.Node, error) {
	return apply("mask", &MaskOp{base: newBase("Mask", cfg)}, x, mask)
}

func (op *MaskOp) Arity() int { return 2 }
func (op *MaskOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a, a)
}
func (op *MaskOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapes(op.name, ds, 2)
	if err != nil {
		return nil, err
	}
	x, m := s[0], s[1]
	if !x.Eq(m) {
		return nil, fmt.Errorf("%s: input %v and mask %v differ in shape", op.name, x, m)
	}
	return x.Clone(), nil
}
func (op *MaskOp) Do(vals ...G.Value) (G.Value, error) {
	in, err := inputs(op.name, vals, 2, 0, 0)
	if err != nil {
		return nil, err
	}
	x, m := in[0], in[1]
	if !x.Shape().Eq(m.Shape()) {
		return nil, fmt.Errorf("%s: input %v and mask %v differ in shape", op.name, x.Shape(), m.Shape())
	}
	out := op.out.get(x.Dtype(), x.Shape()...)
	forDtype(x.Dtype(), mul[float32], mul[float64])(x, m, out, op.cfg.Threads())
	return op.done(vals, out), nil
}

func mul[T float](a, b, out *tensor.Dense, threads int) {
	kernels.Mul(floats[T](a), floats[T](b), floats[T](out), threads)
}

func (op *MaskOp) DiffWRT(int) []bool { return []bool{true, false} }
func (op *MaskOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if err := checkArity(op.name, len(inputs), 2); err != nil {
		return nil, err
	}
	dx, err := Mask(op.cfg, grad, inputs[1])
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, nil}, nil
}
