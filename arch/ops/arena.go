package ops

import (
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Arena lends the activations and input gradients of training graphs
// their memory, so that a buffer serves one value after another within a
// run instead of each op owning one for the life of the graph.
//
// An op's output lives from the op's run until the last op reading it has
// run: a layer's activation until its backward ops, an input gradient
// until the next layer down has consumed it. Owning every buffer keeps all
// of them at once (a maxpool net at batch 128: 89 MB, of which the input
// gradients are 54 MB); lending keeps only those alive at the same moment.
// Several graphs of one network (the full batch and the epoch's partial
// last batch) may share an arena, as long as they never run at the same
// time: the smaller graph's values then sit in the larger one's buffers.
//
// The arena learns when a value is dead at run time: each lent output
// records how many op inputs read it, and each convlab op, once its Do has
// finished, counts its inputs off. A reader that is not a convlab op never
// counts off, which keeps the buffer lent to the end of the run: memory
// is wasted, never a value overwritten. Reset frees every buffer and must
// precede each run. Lent buffers hold whatever their last value left, so
// the ops lent from must write every value of their output (they do: an
// op-owned buffer also holds the previous run's values).
//
// A nil *Arena lends nothing: Share and Reset do nothing. An Arena is not
// safe for concurrent use; neither are the graphs sharing it.
type Arena struct {
	slabs []*slab
	views map[*tensor.Dense]*slab // each lent output's current view
}

// slab is one allocation, lent whole to one value at a time.
type slab struct {
	dt      tensor.Dtype
	f32     []float32
	f64     []float64
	size    int
	readers int // inputs yet to read the value; 0: free
}

// NewArena returns an empty arena.
func NewArena() *Arena {
	return &Arena{views: map[*tensor.Dense]*slab{}}
}

// Bytes is the memory the arena holds.
func (a *Arena) Bytes() int {
	if a == nil {
		return 0
	}
	n := 0
	for _, s := range a.slabs {
		n += s.size * int(s.dt.Size())
	}
	return n
}

// Reset frees every buffer, for the start of a run.
func (a *Arena) Reset() {
	if a == nil {
		return
	}
	for _, s := range a.slabs {
		s.readers = 0
	}
}

// Share makes the ops of g lend their outputs from a where that is safe:
// every convlab op counts its inputs off, and the ops whose output is an
// activation or an input gradient (convolution, a chain of them and the
// outputs inside, pooling, masking, reshaping, the data
// gradients, a fused ReLU convolution's input gradient) take their
// output from a. Outputs read
// after the run (keep: the weight gradients, say) and outputs no op reads
// stay owned by their op.
func (a *Arena) Share(g *G.ExprGraph, keep ...*G.Node) {
	if a == nil {
		return
	}
	nodes := g.AllNodes()
	readers := make(map[*G.Node]int, len(nodes))
	for _, n := range nodes {
		// One read per input slot: a node given twice to one op is read
		// twice, as consumed counts it.
		for it := g.From(n.ID()); it.Next(); {
			readers[it.Node().(*G.Node)]++
		}
	}
	kept := make(map[*G.Node]bool, len(keep))
	for _, n := range keep {
		kept[n] = true
	}
	for _, n := range nodes {
		u, ok := n.Op().(arenaUser)
		if !ok {
			continue
		}
		u.useArena(a)
		l, ok := n.Op().(lender)
		if ok && !kept[n] && readers[n] > 0 {
			b := l.output()
			b.arena, b.readers = a, readers[n]
		}
	}
}

// arenaUser is an op that counts its inputs off (every convlab op).
type arenaUser interface{ useArena(*Arena) }

// lender is an op whose output may come from an arena.
type lender interface{ output() *buffer }

// lend returns a tensor of the given type and shape on the free slab that
// fits it most tightly (a new one if none does), marked as read by
// readers inputs. prev is the tensor the same op was lent last time:
// reused when it sits on the chosen slab with the same shape, so that a
// run that repeats the previous one allocates nothing.
func (a *Arena) lend(prev *tensor.Dense, dt tensor.Dtype, shape []int, readers int) *tensor.Dense {
	n := tensor.Shape(shape).TotalSize()
	var best *slab
	for _, s := range a.slabs {
		if s.readers == 0 && s.dt == dt && s.size >= n && (best == nil || s.size < best.size) {
			best = s
		}
	}
	if best == nil {
		best = &slab{dt: dt, size: n}
		if dt == tensor.Float32 {
			best.f32 = make([]float32, n)
		} else {
			best.f64 = make([]float64, n)
		}
		a.slabs = append(a.slabs, best)
	}
	best.readers = readers
	if prev != nil && a.views[prev] == best && prev.Shape().Eq(tensor.Shape(shape)) {
		return prev
	}
	if prev != nil {
		delete(a.views, prev)
	}
	var backing any
	if dt == tensor.Float32 {
		backing = best.f32[:n]
	} else {
		backing = best.f64[:n]
	}
	t := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(backing))
	a.views[t] = best
	return t
}

// handOn lends the slab of the lent value in to the output of the op
// reading in, when that op is in's last reader (nil otherwise), read by
// readers inputs once the op has counted its own read of in off. The
// output is in's tensor when shape is in's, else a view of the slab in
// shape (of in's size; prev when prev is that view already).
func (a *Arena) handOn(in, prev *tensor.Dense, shape tensor.Shape, readers int) *tensor.Dense {
	s := a.views[in]
	if s == nil || s.readers != 1 || shape.TotalSize() != in.Shape().TotalSize() {
		return nil
	}
	s.readers = 1 + readers
	if shape.Eq(in.Shape()) {
		return in
	}
	if prev != nil && prev != in && a.views[prev] == s && prev.Shape().Eq(shape) {
		return prev
	}
	if prev != nil && prev != in {
		delete(a.views, prev)
	}
	t := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(in.Data()))
	a.views[t] = s
	return t
}

// consumed counts one read off for each lent value among vals.
func (a *Arena) consumed(vals []G.Value) {
	for _, v := range vals {
		d, ok := v.(*tensor.Dense)
		if !ok {
			continue
		}
		if s := a.views[d]; s != nil && s.readers > 0 {
			s.readers--
		}
	}
}

// The ops whose outputs are activations or input gradients: the bulk of a
// training graph's memory.
func (op *Conv2DOp) output() *buffer            { return &op.out }
func (op *Conv2DChainOp) output() *buffer       { return &op.out }
func (op *ConvBackwardDataOp) output() *buffer  { return &op.out }
func (op *ReLUGradOp) output() *buffer          { return &op.out }
func (op *MaxPool2DOp) output() *buffer         { return &op.out }
func (op *MaxPool2DBackwardOp) output() *buffer { return &op.out }
func (op *MaskOp) output() *buffer              { return &op.out }
func (op *ReshapeOp) output() *buffer           { return &op.out }
func (op *DenseBackwardDataOp) output() *buffer { return &op.out }

// A fused ReLU convolution's input gradient is made by its
// ConvBackwardFilterOp, into the buffer this op hands on: lent for as
// long as this op's readers need it.
func (op *ConvInputGradOp) output() *buffer { return &op.src.dx }
