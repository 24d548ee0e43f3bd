package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"convlab/arch/kernels"
)

// Conv2DPairOp is a net's first two convolutions, both with fused bias
// and ReLU, as one op: y2 = relu(conv(y1, w2) + b2) for y1 =
// relu(conv(x, w1) + b1), whose inputs are x, w1, b1, w2, b2. It runs
// both layers image by image (see kernels.Conv2DPairForward), and its
// backward op both layers' gradients, so that neither y1 nor its
// gradient is streamed through memory between the layers. x, the data,
// gets no gradient. The values are those of two Conv2D ops, bit for bit.
//
// y1 is the op's own: kept from the forward pass for the backward op,
// lent by the arena (see Arena.Share) until that op has read it.
type Conv2DPairOp struct {
	base
	first, second ConvParams
	mid, out      buffer // y1 and y2
	back          bool   // a backward op reads mid
	// The geometries of the last forward pass, which made mid.
	g1, g2 kernels.ConvGeom
}

// Conv2DPair applies two convolutions with fused ReLUs, the second to the
// first's output; first must have NoInputGrad set.
func Conv2DPair(cfg *Config, x, w1, b1, w2, b2 *G.Node, first, second ConvParams) (*G.Node, error) {
	if !first.ReLU || !second.ReLU || !first.NoInputGrad {
		return nil, fmt.Errorf("conv2d pair: both convolutions need a ReLU and the first no input gradient, got %+v and %+v", first, second)
	}
	name := fmt.Sprintf("Conv2DPair(s%d,%s;s%d,%s)", first.Stride, first.Padding, second.Stride, second.Padding)
	op := &Conv2DPairOp{base: newBase(name, cfg), first: first, second: second}
	return apply("conv2d pair", op, x, w1, b1, w2, b2)
}

// geoms are the two layers' geometries for input x and filters w1, w2.
func (op *Conv2DPairOp) geoms(x, w1, w2 tensor.Shape) (g1, g2 kernels.ConvGeom, err error) {
	c1 := Conv2DOp{base: base{name: op.name + ": first"}, p: op.first}
	if g1, err = c1.geom(x, w1); err != nil {
		return g1, g2, err
	}
	c2 := Conv2DOp{base: base{name: op.name + ": second"}, p: op.second}
	g2, err = c2.geom(tensor.Shape{g1.N, g1.F, g1.OH, g1.OW}, w2)
	return g1, g2, err
}

func (op *Conv2DPairOp) Arity() int { return 5 }
func (op *Conv2DPairOp) Type() hm.Type {
	return hm.NewFnType(tt(4), tt(4), tt(1), tt(4), tt(1), tt(4))
}
func (op *Conv2DPairOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapes(op.name, ds, 4)
	if err != nil {
		return nil, err
	}
	_, g2, err := op.geoms(s[0], s[1], s[3])
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g2.N, g2.F, g2.OH, g2.OW}, nil
}

func (op *Conv2DPairOp) Do(vals ...G.Value) (G.Value, error) {
	in, err := inputs(op.name, vals, 5, 4, 4, 1, 4, 1)
	if err != nil {
		return nil, err
	}
	x, w1, b1, w2, b2 := in[0], in[1], in[2], in[3], in[4]
	g1, g2, err := op.geoms(x.Shape(), w1.Shape(), w2.Shape())
	if err != nil {
		return nil, err
	}
	if b1.Shape()[0] != g1.F || b2.Shape()[0] != g2.F {
		return nil, fmt.Errorf("%s: biases have %d and %d values, want %d and %d (one per filter)", op.name, b1.Shape()[0], b2.Shape()[0], g1.F, g2.F)
	}
	g1.Workers = op.cfg.Threads()
	op.g1, op.g2 = g1, g2
	y1 := op.mid.get(x.Dtype(), g1.N, g1.F, g1.OH, g1.OW)
	y2 := op.out.get(x.Dtype(), g2.N, g2.F, g2.OH, g2.OW)
	forDtype(x.Dtype(), conv2DPairForward[float32], conv2DPairForward[float64])(g1, g2, x, w1, b1, y1, w2, b2, y2)
	return op.done(vals, y2), nil
}

func conv2DPairForward[T float](g1, g2 kernels.ConvGeom, x, w1, b1, y1, w2, b2, y2 *tensor.Dense) {
	kernels.Conv2DPairForward(g1, g2, floats[T](x), floats[T](w1), floats[T](b1), floats[T](y1), floats[T](w2), floats[T](b2), floats[T](y2))
}

// useArena lends y1 from a too, read once, by the backward op.
func (op *Conv2DPairOp) useArena(a *Arena) {
	op.base.useArena(a)
	if op.back {
		op.mid.arena, op.mid.readers = a, 1
	}
}

func (op *Conv2DPairOp) DiffWRT(int) []bool { return []bool{false, true, true, true, true} }

// SymDiff returns the gradients of w1, b1, w2 and b2: the backward op's
// output is w2's, and the others are handed on from it.
func (op *Conv2DPairOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if err := checkArity(op.name, len(inputs), 5); err != nil {
		return nil, err
	}
	x, w1, b1, w2, b2 := inputs[0], inputs[1], inputs[2], inputs[3], inputs[4]
	bp := &Conv2DPairBackwardOp{base: newBase("Conv2DPairBackward", op.cfg), src: op}
	dw2, err := apply(op.name+": backward", bp, x, w2, output, grad)
	if err != nil {
		return nil, err
	}
	op.back = true
	dw1, err := side(op.cfg, op.name+": first filter gradient", "Conv2DPairGrad", dw2, w1.Shape(), func() *tensor.Dense { return bp.dw1.t })
	if err != nil {
		return nil, err
	}
	db1, err := side(op.cfg, op.name+": first bias gradient", "Conv2DPairGrad", dw2, b1.Shape(), func() *tensor.Dense { return bp.db1.t })
	if err != nil {
		return nil, err
	}
	db2, err := side(op.cfg, op.name+": second bias gradient", "Conv2DPairGrad", dw2, b2.Shape(), func() *tensor.Dense { return bp.db2.t })
	if err != nil {
		return nil, err
	}
	return G.Nodes{nil, dw1, db1, dw2, db2}, nil
}

// Conv2DPairBackwardOp is the gradients of a Conv2DPairOp's filters and
// biases, from x, w2, the pair's output y2 and its gradient dy2 (and
// the pair's y1): the second filter gradient is its output, the other
// three it keeps for the ops that hand them on.
type Conv2DPairBackwardOp struct {
	base
	src                *Conv2DPairOp
	dw1, db1, dw2, db2 buffer
	midRead            [1]G.Value
}

func (op *Conv2DPairBackwardOp) Arity() int { return 4 }
func (op *Conv2DPairBackwardOp) Type() hm.Type {
	return hm.NewFnType(tt(4), tt(4), tt(4), tt(4), tt(4))
}
func (op *Conv2DPairBackwardOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapes(op.name, ds, 2)
	if err != nil {
		return nil, err
	}
	return s[1].Clone(), nil
}
func (op *Conv2DPairBackwardOp) Do(vals ...G.Value) (G.Value, error) {
	in, err := inputs(op.name, vals, 4, 4, 4, 4, 4)
	if err != nil {
		return nil, err
	}
	x, w2, y2, dy2 := in[0], in[1], in[2], in[3]
	y1, g1, g2 := op.src.mid.t, op.src.g1, op.src.g2
	if y1 == nil || y1.Dtype() != x.Dtype() || !x.Shape().Eq(tensor.Shape{g1.N, g1.C, g1.H, g1.W}) {
		return nil, fmt.Errorf("%s: the pair's forward pass has not run on input %v", op.name, x.Shape())
	}
	if ws := (tensor.Shape{g2.F, g2.C, g2.K, g2.K}); !w2.Shape().Eq(ws) {
		return nil, fmt.Errorf("%s: second filters %v, want %v", op.name, w2.Shape(), ws)
	}
	if os := (tensor.Shape{g2.N, g2.F, g2.OH, g2.OW}); !y2.Shape().Eq(os) || !dy2.Shape().Eq(os) {
		return nil, fmt.Errorf("%s: output %v and its gradient %v, want %v", op.name, y2.Shape(), dy2.Shape(), os)
	}
	g1.Workers = op.cfg.Threads()
	dt := x.Dtype()
	dw1 := op.dw1.get(dt, g1.F, g1.C, g1.K, g1.K)
	db1 := op.db1.get(dt, g1.F)
	dw2 := op.dw2.get(dt, g2.F, g2.C, g2.K, g2.K)
	db2 := op.db2.get(dt, g2.F)
	forDtype(dt, conv2DPairBackward[float32], conv2DPairBackward[float64])(g1, g2, x, y1, w2, y2, dy2, dw1, db1, dw2, db2)
	if op.arena != nil {
		op.midRead[0] = y1
		op.arena.consumed(op.midRead[:])
		op.midRead[0] = nil
	}
	return op.done(vals, dw2), nil
}

func conv2DPairBackward[T float](g1, g2 kernels.ConvGeom, x, y1, w2, y2, dy2, dw1, db1, dw2, db2 *tensor.Dense) {
	kernels.Conv2DPairBackward(g1, g2, floats[T](x), floats[T](y1), floats[T](w2), floats[T](y2), floats[T](dy2),
		floats[T](dw1), floats[T](db1), floats[T](dw2), floats[T](db2))
}
