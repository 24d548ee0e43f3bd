package ops

import (
	"fmt"
	"strings"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"convlab/arch/kernels"
)

// Conv2DChainOp is a net's leading convolutions, each with fused bias and
// ReLU and each reading the one before's output, as one op: its inputs
// are x, w1, b1, w2, b2, ..., and its output the last layer's. It runs
// the layers image by image (see kernels.Conv2DChainForward), and its
// backward op every layer's gradients, so that no layer's output is read
// back from memory by the next, nor any input gradient written there. x,
// the data, gets no gradient. The values are those of one Conv2D op a
// layer, bit for bit.
//
// The outputs of all but the last layer are the op's own: kept from the
// forward pass for the backward op, lent by the arena (see Arena.Share)
// until that op has read them.
type Conv2DChainOp struct {
	base
	layers []ConvParams
	mids   []buffer // the outputs of all layers but the last
	out    buffer
	back   bool // a backward op reads mids
	// The geometries of the last forward pass, which made mids.
	geoms []kernels.ConvGeom
}

// Conv2DChain applies convolutions with fused ReLUs, each to the one
// before's output; the first must have NoInputGrad set.
func Conv2DChain(cfg *Config, x *G.Node, weights G.Nodes, layers []ConvParams) (*G.Node, error) {
	if len(layers) < 2 || len(weights) != 2*len(layers) {
		return nil, fmt.Errorf("conv2d chain: %d weights for %d layers, want two layers or more (one is a Conv2D) and two weights a layer", len(weights), len(layers))
	}
	names := make([]string, len(layers))
	for i, p := range layers {
		if !p.ReLU || i == 0 && !p.NoInputGrad {
			return nil, fmt.Errorf("conv2d chain: layer %d: every layer needs a ReLU and the first no input gradient, got %+v", i+1, p)
		}
		names[i] = fmt.Sprintf("s%d,%s", p.Stride, p.Padding)
	}
	op := &Conv2DChainOp{base: newBase("Conv2DChain("+strings.Join(names, ";")+")", cfg), layers: layers}
	op.mids = make([]buffer, len(layers)-1)
	return apply("conv2d chain", op, append(G.Nodes{x}, weights...)...)
}

// Outputs returns every layer's output from the last forward pass, the
// last layer's (the op's value) included: valid until the op runs again
// or, lent by an arena, until the backward op has run.
func (op *Conv2DChainOp) Outputs() []*tensor.Dense {
	ts := make([]*tensor.Dense, 0, len(op.layers))
	for i := range op.mids {
		ts = append(ts, op.mids[i].t)
	}
	return append(ts, op.out.t)
}

// chainGeoms are the layers' geometries for input x and filters ws.
func (op *Conv2DChainOp) chainGeoms(x tensor.Shape, ws []tensor.Shape) ([]kernels.ConvGeom, error) {
	gs := make([]kernels.ConvGeom, len(op.layers))
	in := x
	for i, p := range op.layers {
		c := Conv2DOp{base: base{name: fmt.Sprintf("%s: layer %d", op.name, i+1)}, p: p}
		g, err := c.geom(in, ws[i])
		if err != nil {
			return nil, err
		}
		gs[i] = g
		in = tensor.Shape{g.N, g.F, g.OH, g.OW}
	}
	return gs, nil
}

func (op *Conv2DChainOp) Arity() int { return 1 + 2*len(op.layers) }
func (op *Conv2DChainOp) Type() hm.Type {
	ts := []hm.Type{tt(4)}
	for range op.layers {
		ts = append(ts, tt(4), tt(1))
	}
	return hm.NewFnType(append(ts, tt(4))...)
}

// shapesOf are the input's shape and the filters' shapes.
func (op *Conv2DChainOp) shapesOf(ds []G.DimSizer) (tensor.Shape, []tensor.Shape, error) {
	if err := checkArity(op.name, len(ds), op.Arity()); err != nil {
		return nil, nil, err
	}
	ss := make([]tensor.Shape, len(ds))
	for i, d := range ds {
		s, ok := d.(tensor.Shape)
		if !ok {
			return nil, nil, fmt.Errorf("%s: input %d has no shape", op.name, i)
		}
		ss[i] = s
	}
	ws := make([]tensor.Shape, len(op.layers))
	for i := range ws {
		ws[i] = ss[1+2*i]
	}
	return ss[0], ws, nil
}

func (op *Conv2DChainOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	x, ws, err := op.shapesOf(ds)
	if err != nil {
		return nil, err
	}
	gs, err := op.chainGeoms(x, ws)
	if err != nil {
		return nil, err
	}
	g := gs[len(gs)-1]
	return tensor.Shape{g.N, g.F, g.OH, g.OW}, nil
}

func (op *Conv2DChainOp) Do(vals ...G.Value) (G.Value, error) {
	ranks := []int{4}
	for range op.layers {
		ranks = append(ranks, 4, 1)
	}
	in, err := denseInputs(op.name, vals, len(ranks), ranks...)
	if err != nil {
		return nil, err
	}
	x := in[0]
	ws := make([]tensor.Shape, len(op.layers))
	for i := range ws {
		ws[i] = in[1+2*i].Shape()
	}
	gs, err := op.chainGeoms(x.Shape(), ws)
	if err != nil {
		return nil, err
	}
	for i, g := range gs {
		if b := in[2+2*i].Shape()[0]; b != g.F {
			return nil, fmt.Errorf("%s: layer %d: bias has %d values, want %d (one per filter)", op.name, i+1, b, g.F)
		}
	}
	gs[0].Workers = op.cfg.Threads()
	op.geoms = gs
	ys := make([]*tensor.Dense, len(gs))
	for i, g := range gs {
		b := &op.out
		if i < len(op.mids) {
			b = &op.mids[i]
		}
		ys[i] = b.get(x.Dtype(), g.N, g.F, g.OH, g.OW)
	}
	wts, bts := make([]*tensor.Dense, len(gs)), make([]*tensor.Dense, len(gs))
	for i := range gs {
		wts[i], bts[i] = in[1+2*i], in[2+2*i]
	}
	forDtype(x.Dtype(), chainForward[float32], chainForward[float64])(gs, x, wts, bts, ys)
	return op.done(vals, ys[len(ys)-1]), nil
}

func chainForward[T float](gs []kernels.ConvGeom, x *tensor.Dense, ws, bs, ys []*tensor.Dense) {
	kernels.Conv2DChainForward(gs, floats[T](x), chainArgs[T](ws), chainArgs[T](bs), chainArgs[T](ys))
}

// chainArgs is the data of each tensor of ts, nil for a nil tensor.
func chainArgs[T float](ts []*tensor.Dense) [][]T {
	d := make([][]T, len(ts))
	for i, t := range ts {
		if t != nil {
			d[i] = floats[T](t)
		}
	}
	return d
}

// useArena lends the layers' outputs but the last from a too, each read
// once, by the backward op.
func (op *Conv2DChainOp) useArena(a *Arena) {
	op.base.useArena(a)
	if op.back {
		for i := range op.mids {
			op.mids[i].arena, op.mids[i].readers = a, 1
		}
	}
}

func (op *Conv2DChainOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for i := 1; i < n; i++ {
		d[i] = true
	}
	return d
}

// SymDiff returns the gradients of the filters and biases: the backward
// op's output is the last filters', and the others are handed on from it.
func (op *Conv2DChainOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if err := checkArity(op.name, len(inputs), op.Arity()); err != nil {
		return nil, err
	}
	k := len(op.layers)
	bp := &Conv2DChainBackwardOp{base: newBase("Conv2DChainBackward", op.cfg), src: op}
	bp.dws, bp.dbs = make([]buffer, k), make([]buffer, k)
	in := G.Nodes{inputs[0]}
	for i := 1; i < k; i++ {
		in = append(in, inputs[1+2*i])
	}
	dwLast, err := apply(op.name+": backward", bp, append(in, output, grad)...)
	if err != nil {
		return nil, err
	}
	op.back = true
	grads := make(G.Nodes, len(inputs))
	for i := range op.layers {
		if i < k-1 {
			dw := &bp.dws[i]
			if grads[1+2*i], err = side(op.cfg, fmt.Sprintf("%s: layer %d filter gradient", op.name, i+1), "Conv2DChainGrad", dwLast,
				inputs[1+2*i].Shape(), func() *tensor.Dense { return dw.t }); err != nil {
				return nil, err
			}
		} else {
			grads[1+2*i] = dwLast
		}
		db := &bp.dbs[i]
		if grads[2+2*i], err = side(op.cfg, fmt.Sprintf("%s: layer %d bias gradient", op.name, i+1), "Conv2DChainGrad", dwLast,
			inputs[2+2*i].Shape(), func() *tensor.Dense { return db.t }); err != nil {
			return nil, err
		}
	}
	return grads, nil
}

// Conv2DChainBackwardOp is the gradients of a Conv2DChainOp's filters and
// biases, from x, the filters of every layer but the first, the chain's
// output and its gradient (and the chain's other outputs): the last
// filter gradient is its output, the others it keeps for the ops that
// hand them on.
type Conv2DChainBackwardOp struct {
	base
	src      *Conv2DChainOp
	dws, dbs []buffer
	read     []G.Value // the chain's outputs inside, counted off the arena
}

func (op *Conv2DChainBackwardOp) Arity() int { return len(op.src.layers) + 2 }
func (op *Conv2DChainBackwardOp) Type() hm.Type {
	ts := make([]hm.Type, op.Arity()+1)
	for i := range ts {
		ts[i] = tt(4)
	}
	return hm.NewFnType(ts...)
}
func (op *Conv2DChainBackwardOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if err := checkArity(op.name, len(ds), op.Arity()); err != nil {
		return nil, err
	}
	k := len(op.src.layers)
	s, ok := ds[k-1].(tensor.Shape) // the last filters'
	if !ok {
		return nil, fmt.Errorf("%s: input %d has no shape", op.name, k-1)
	}
	return s.Clone(), nil
}
func (op *Conv2DChainBackwardOp) Do(vals ...G.Value) (G.Value, error) {
	k := len(op.src.layers)
	ranks := make([]int, k+2)
	for i := range ranks {
		ranks[i] = 4
	}
	in, err := denseInputs(op.name, vals, len(ranks), ranks...)
	if err != nil {
		return nil, err
	}
	x, y, dy := in[0], in[k], in[k+1]
	gs := op.src.geoms
	if len(gs) != k || !x.Shape().Eq(tensor.Shape{gs[0].N, gs[0].C, gs[0].H, gs[0].W}) {
		return nil, fmt.Errorf("%s: the chain's forward pass has not run on input %v", op.name, x.Shape())
	}
	for i := 1; i < k; i++ {
		g := gs[i]
		if ws := (tensor.Shape{g.F, g.C, g.K, g.K}); !in[i].Shape().Eq(ws) {
			return nil, fmt.Errorf("%s: layer %d: filters %v, want %v", op.name, i+1, in[i].Shape(), ws)
		}
	}
	last := gs[k-1]
	if os := (tensor.Shape{last.N, last.F, last.OH, last.OW}); !y.Shape().Eq(os) || !dy.Shape().Eq(os) {
		return nil, fmt.Errorf("%s: output %v and its gradient %v, want %v", op.name, y.Shape(), dy.Shape(), os)
	}
	dt := x.Dtype()
	ys := make([]*tensor.Dense, k)
	ws := make([]*tensor.Dense, k)
	dws, dbs := make([]*tensor.Dense, k), make([]*tensor.Dense, k)
	for i, g := range gs {
		if i < k-1 {
			ys[i] = op.src.mids[i].t
			if ys[i] == nil || ys[i].Dtype() != dt {
				return nil, fmt.Errorf("%s: the chain's forward pass has not run", op.name)
			}
		}
		if i > 0 {
			ws[i] = in[i]
		}
		dws[i] = op.dws[i].get(dt, g.F, g.C, g.K, g.K)
		dbs[i] = op.dbs[i].get(dt, g.F)
	}
	ys[k-1] = y // ws[0] stays nil: the first filters are not read
	gs[0].Workers = op.cfg.Threads()
	forDtype(dt, chainBackward[float32], chainBackward[float64])(gs, x, ys, ws, dy, dws, dbs)
	if op.arena != nil {
		op.read = op.read[:0]
		for _, t := range ys[:k-1] {
			op.read = append(op.read, t)
		}
		op.arena.consumed(op.read)
		clear(op.read)
	}
	return op.done(vals, dws[k-1]), nil
}

func chainBackward[T float](gs []kernels.ConvGeom, x *tensor.Dense, ys, ws []*tensor.Dense, dy *tensor.Dense, dws, dbs []*tensor.Dense) {
	kernels.Conv2DChainBackward(gs, floats[T](x), chainArgs[T](ys), chainArgs[T](ws), floats[T](dy), chainArgs[T](dws), chainArgs[T](dbs))
}
