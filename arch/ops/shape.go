package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"convlab/arch/kernels"
)

// ReshapeOp copies its input into a new shape with the same batch size
// (axis 0): Flatten turns N×C×H×W into N×(C·H·W), and its gradient turns
// it back. The copy keeps every op's output its own (gorgonia's stock
// reshape may reshape a shared tensor in place).
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
	n, err := G.ApplyOp(op, x)
	if err != nil {
		return nil, fmt.Errorf("reshape: %w", err)
	}
	return n, nil
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
	s, err := shapeOf(op.name, ds, 0)
	if err != nil {
		return nil, err
	}
	return op.outShape(s)
}
func (op *ReshapeOp) Do(vals ...G.Value) (G.Value, error) {
	if err := checkArity(op.name, vals, 1); err != nil {
		return nil, err
	}
	x, err := dense(op.name, vals, 0, 0)
	if err != nil {
		return nil, err
	}
	s, err := op.outShape(x.Shape())
	if err != nil {
		return nil, err
	}
	out := op.out.get(x.Dtype(), s...)
	switch x.Dtype() {
	case tensor.Float32:
		copy(out.Float32s(), x.Float32s())
	case tensor.Float64:
		copy(out.Float64s(), x.Float64s())
	}
	return out, nil
}
func (op *ReshapeOp) DiffWRT(int) []bool { return []bool{true} }
func (op *ReshapeOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != 1 {
		return nil, fmt.Errorf("%s: takes 1 input, got %d", op.name, len(inputs))
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
	op := &MaskOp{base: newBase("Mask", cfg)}
	n, err := G.ApplyOp(op, x, mask)
	if err != nil {
		return nil, fmt.Errorf("mask: %w", err)
	}
	return n, nil
}

func (op *MaskOp) Arity() int { return 2 }
func (op *MaskOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a, a)
}
func (op *MaskOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	x, err := shapeOf(op.name, ds, 0)
	if err != nil {
		return nil, err
	}
	m, err := shapeOf(op.name, ds, 1)
	if err != nil {
		return nil, err
	}
	if !x.Eq(m) {
		return nil, fmt.Errorf("%s: input %v and mask %v differ in shape", op.name, x, m)
	}
	return x.Clone(), nil
}
func (op *MaskOp) Do(vals ...G.Value) (G.Value, error) {
	if err := checkArity(op.name, vals, 2); err != nil {
		return nil, err
	}
	x, err := dense(op.name, vals, 0, 0)
	if err != nil {
		return nil, err
	}
	m, err := dense(op.name, vals, 1, 0)
	if err != nil {
		return nil, err
	}
	if err := sameDtype(op.name, x, m); err != nil {
		return nil, err
	}
	if !x.Shape().Eq(m.Shape()) {
		return nil, fmt.Errorf("%s: input %v and mask %v differ in shape", op.name, x.Shape(), m.Shape())
	}
	out := op.out.get(x.Dtype(), x.Shape()...)
	switch x.Dtype() {
	case tensor.Float32:
		mul(x.Float32s(), m.Float32s(), out.Float32s())
	case tensor.Float64:
		mul(x.Float64s(), m.Float64s(), out.Float64s())
	}
	return out, nil
}

func mul[T kernels.Float](a, b, out []T) {
	for i, v := range a {
		out[i] = v * b[i]
	}
}

func (op *MaskOp) DiffWRT(int) []bool { return []bool{true, false} }
func (op *MaskOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != 2 {
		return nil, fmt.Errorf("%s: takes 2 inputs, got %d", op.name, len(inputs))
	}
	dx, err := Mask(op.cfg, grad, inputs[1])
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, nil}, nil
}
