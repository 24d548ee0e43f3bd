// Package ops holds the gorgonia operations convlab's networks are built
// from: convolution with fused bias and ReLU, max pooling, dense layers,
// dropout by a given mask, flattening, softmax with cross-entropy, and the
// L1/L2 weight penalty, each with its backward operations so that
// gorgonia's symbolic differentiation (G.Grad) can build the training graph.
//
// Every op works on float32 and float64 tensors. Each op instance owns its
// output buffer and reuses it from one run of the machine to the next, so a
// training step allocates no activation memory once the first step has run.
// The price is that an op's output is only valid until the op runs again,
// which is exactly gorgonia's tape-machine semantics. Ops that compute a
// value the caller wants to read after a run (the loss, the probabilities)
// also record it on the op (see SoftmaxCE and Penalty). A graph whose
// activations and input gradients are dead once a run has its loss (a
// training graph) can have them lent from an Arena instead (Arena.Share):
// a value is then valid only until its last reader in the graph has run.
//
// The ops deliberately do not implement gorgonia's UsePreallocDoer: the
// tape machine offers as "preallocated" whatever value last sat in the
// output's register, which after register reuse can be another node's
// tensor, even an input's (a weight's) — writing into it would corrupt it.
// Owning the buffer is both safe and allocation-free. Likewise the ops
// never write into their inputs (OverwritesInput is -1), and Flatten
// copies rather than reshaping a shared tensor in place as gorgonia's
// stock Reshape may.
//
// Each op instance hashes differently (a serial number is part of its
// hash), so gorgonia never merges two nodes into one. Input nodes, though,
// are merged by gorgonia when they have the same shape and no name: give
// every input node a distinct name.
//
// Tensors are channels-first: images are N×C×H×W, convolution filters
// F×C×K×K, dense kernels D×U (inputs × units). Conventions follow Keras:
// cross-correlation, 'same' padding with the odd extra pixel after, a P×P
// pool with stride P.
package ops

import (
	"fmt"
	"hash"
	"hash/fnv"
	"sync/atomic"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Config is shared by the ops of one network: how many goroutines the
// convolutions may split a batch across (passed to the kernels as
// ConvGeom.Workers). It may be changed between runs. A nil *Config means
// one.
type Config struct {
	threads atomic.Int32
}

// NewConfig returns a configuration using n threads (at least one).
func NewConfig(n int) *Config {
	c := &Config{}
	c.SetThreads(n)
	return c
}

// SetThreads sets the number of goroutines (at least one).
func (c *Config) SetThreads(n int) {
	if n < 1 {
		n = 1
	}
	c.threads.Store(int32(n))
}

// Threads is the number of goroutines the ops may use.
func (c *Config) Threads() int {
	if c == nil {
		return 1
	}
	return int(c.threads.Load())
}

var serial atomic.Uint64

// base is embedded in every op: the parts of G.Op that are the same for all
// of them. id makes each op instance hash differently, so that gorgonia
// never merges two nodes and every op instance runs (and fills its own
// buffers).
type base struct {
	id    uint64
	name  string
	cfg   *Config
	arena *Arena // set by Arena.Share: count inputs off when done
}

func newBase(name string, cfg *Config) base {
	return base{id: serial.Add(1), name: name, cfg: cfg}
}

func (b *base) useArena(a *Arena) { b.arena = a }

// done tells the arena, if any, that vals have been read; Do returns
// through it.
func (b *base) done(vals []G.Value, out G.Value) G.Value {
	if b.arena != nil {
		b.arena.consumed(vals)
	}
	return out
}

func (b *base) ReturnsPtr() bool     { return false }
func (b *base) CallsExtern() bool    { return false }
func (b *base) OverwritesInput() int { return -1 }
func (b *base) String() string       { return b.name }
func (b *base) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "convlab.%s#%d", b.name, b.id)
}
func (b *base) Hashcode() uint32 {
	h := fnv.New32a()
	b.WriteHash(h)
	return h.Sum32()
}

// tt is a tensor type of the given rank over the type variable a.
func tt(dims int) G.TensorType { return G.TensorType{Dims: dims, Of: hm.TypeVariable('a')} }

// buffer is an op's output tensor: op-owned, reallocated only when the
// shape or element type changes, or lent by an arena (see Arena.Share)
// for each run.
type buffer struct {
	t       *tensor.Dense
	arena   *Arena
	readers int // how many op inputs read the output
}

// inPlace returns in as the output, for an elementwise op about to read
// it for the last time, when both in and the output are lent (nil
// otherwise): the op then writes over its input.
func (b *buffer) inPlace(in *tensor.Dense) *tensor.Dense {
	if b.arena == nil {
		return nil
	}
	return b.arena.handOn(in, nil, in.Shape(), b.readers)
}

// asView returns a view of in in the given shape as the output (in
// itself when the shape is in's), for an op about to read in for the last
// time, when both are lent and of one size (nil otherwise): a reshape then
// copies nothing, an input gradient takes over its output gradient's
// buffer.
func (b *buffer) asView(in *tensor.Dense, shape tensor.Shape) *tensor.Dense {
	if b.arena == nil {
		return nil
	}
	t := b.arena.handOn(in, b.t, shape, b.readers)
	if t != nil && t != in {
		b.t = t
	}
	return t
}

func (b *buffer) get(dt tensor.Dtype, shape ...int) *tensor.Dense {
	if b.arena != nil {
		b.t = b.arena.lend(b.t, dt, shape, b.readers)
		return b.t
	}
	if b.t == nil || b.t.Dtype() != dt || !b.t.Shape().Eq(tensor.Shape(shape)) {
		b.t = tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
	}
	return b.t
}

// float is the element type of the tensors the ops compute on.
type float interface{ float32 | float64 }

// forDtype picks, for the element type dt, one of the two instances of a
// function written once over float: f32 for float32, f64 for float64 (the
// only element types inputs admits).
func forDtype[F any](dt tensor.Dtype, f32, f64 F) F {
	if dt == tensor.Float32 {
		return f32
	}
	return f64
}

// floats is t's data as a []T; T must be t's element type (see forDtype).
func floats[T float](t *tensor.Dense) []T {
	var s any
	if t.Dtype() == tensor.Float32 {
		s = t.Float32s()
	} else {
		s = t.Float64s()
	}
	return s.([]T)
}

// maxInputs is the most tensor inputs an op takes.
const maxInputs = 4

// inputs makes the checks every op's Do opens with: vals holds n values,
// and the first len(ranks) of them are float32 or float64 dense tensors of
// one element type and of the given ranks (0: any rank). It returns those
// tensors, in order.
func inputs(op string, vals []G.Value, n int, ranks ...int) ([maxInputs]*tensor.Dense, error) {
	var ts [maxInputs]*tensor.Dense
	err := checkInputs(op, vals, n, ranks, ts[:len(ranks)])
	return ts, err
}

// denseInputs is inputs for ops with any number of inputs (a chain of
// convolutions has two a layer and one), the tensors in a slice.
func denseInputs(op string, vals []G.Value, n int, ranks ...int) ([]*tensor.Dense, error) {
	ts := make([]*tensor.Dense, len(ranks))
	err := checkInputs(op, vals, n, ranks, ts)
	return ts, err
}

// checkInputs makes inputs' checks, the tensors into ts.
func checkInputs(op string, vals []G.Value, n int, ranks []int, ts []*tensor.Dense) error {
	if err := checkArity(op, len(vals), n); err != nil {
		return err
	}
	for i, rank := range ranks {
		d, err := dense(op, vals, i, rank)
		if err != nil {
			return err
		}
		ts[i] = d
	}
	return sameDtype(op, ts...)
}

// dense returns the i-th input as a *tensor.Dense of the given rank (any
// rank when rank is 0).
func dense(op string, vals []G.Value, i, rank int) (*tensor.Dense, error) {
	if i >= len(vals) {
		return nil, fmt.Errorf("%s: needs at least %d inputs, got %d", op, i+1, len(vals))
	}
	d, ok := vals[i].(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("%s: input %d is a %T, want a dense tensor", op, i, vals[i])
	}
	if rank > 0 && d.Shape().Dims() != rank {
		return nil, fmt.Errorf("%s: input %d has shape %v, want rank %d", op, i, d.Shape(), rank)
	}
	if d.Dtype() != tensor.Float32 && d.Dtype() != tensor.Float64 {
		return nil, fmt.Errorf("%s: input %d has element type %v, want float32 or float64", op, i, d.Dtype())
	}
	return d, nil
}

// checkArity is the check of the number of inputs, of values in Do and of
// nodes in SymDiff.
func checkArity(op string, got, n int) error {
	if got == n {
		return nil
	}
	inputs := "inputs"
	if n == 1 {
		inputs = "input"
	}
	return fmt.Errorf("%s: takes %d %s, got %d", op, n, inputs, got)
}

func sameDtype(op string, ts ...*tensor.Dense) error {
	for _, t := range ts[1:] {
		if t.Dtype() != ts[0].Dtype() {
			return fmt.Errorf("%s: inputs mix %v and %v", op, ts[0].Dtype(), t.Dtype())
		}
	}
	return nil
}

// shapes returns the shapes of the first n inputs InferShape is given.
func shapes(op string, ds []G.DimSizer, n int) ([maxInputs]tensor.Shape, error) {
	var ss [maxInputs]tensor.Shape
	for i := range n {
		if i >= len(ds) {
			return ss, fmt.Errorf("%s: needs at least %d inputs, got %d", op, i+1, len(ds))
		}
		s, ok := ds[i].(tensor.Shape)
		if !ok {
			return ss, fmt.Errorf("%s: input %d has no shape", op, i)
		}
		ss[i] = s
	}
	return ss, nil
}

// firstShape is the InferShape of an op whose output has the shape of its
// first input.
func firstShape(op string, ds []G.DimSizer) (tensor.Shape, error) {
	s, err := shapes(op, ds, 1)
	if err != nil {
		return nil, err
	}
	return s[0].Clone(), nil
}

// apply adds op to the graph, naming what in its error.
func apply(what string, op G.Op, nodes ...*G.Node) (*G.Node, error) {
	n, err := G.ApplyOp(op, nodes...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return n, nil
}

// scalar is an op-owned scalar output.
type scalar struct {
	f32 G.F32
	f64 G.F64
}

func (s *scalar) set(dt tensor.Dtype, v float64) G.Value {
	if dt == tensor.Float32 {
		s.f32 = G.F32(v)
		return &s.f32
	}
	s.f64 = G.F64(v)
	return &s.f64
}

// scalarValue reads a float32 or float64 scalar value.
func scalarValue(op string, v G.Value) (float64, error) {
	switch s := v.(type) {
	case *G.F32:
		return float64(*s), nil
	case *G.F64:
		return float64(*s), nil
	case *tensor.Dense:
		if s.Shape().TotalSize() == 1 {
			switch d := s.Data().(type) {
			case []float32:
				return float64(d[0]), nil
			case []float64:
				return d[0], nil
			case float32:
				return float64(d), nil
			case float64:
				return d, nil
			}
		}
	}
	return 0, fmt.Errorf("%s: gradient is a %T, want a float scalar", op, v)
}
