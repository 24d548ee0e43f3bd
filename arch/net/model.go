// Package net builds trainable networks from architecture descriptions:
// gorgonia graphs made of convlab's own ops (arch/ops), one set of weights
// shared by every graph of a Model, Keras' Adam, and the weights file.
//
// A Model trains with TrainStep (dropout on) and predicts with Predict and
// Evaluate (dropout off). It keeps one training machine per batch size it
// has seen (the full batch and the epoch's last, partial batch, which is
// trained too, as Keras does), whose activations and input gradients are
// lent from one arena (ops.Arena) that the machines share, as they never
// run at once; inference calls the kernels directly, without a graph
// (infer.go). Both read the same weight tensors, which the
// optimiser updates in place.
//
// Keras conventions are followed where they fix a number: Glorot-uniform
// kernels (limit sqrt(6/(fan_in+fan_out)), fan_in = k·k·c_in and
// fan_out = k·k·c_out for a convolution, inputs and units for a dense
// layer), zero biases, inverted dropout (kept values scaled by
// 1/(1-rate)), the loss as the mean categorical cross-entropy over the
// batch plus every dense layer's l1·Σ|W| + l2·ΣW², and Adam with the bias
// correction folded into the learning rate. Differences that do not change
// any count: tensors are channels-first, so Flatten orders features by
// channel, then row, then column.
package net

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gorgonia.org/tensor"

	"convlab/arch"
	"convlab/arch/ops"
)

// ErrNonFinite is returned (wrapped) by TrainStep when the loss of a batch
// is NaN or infinite; the weights are then left as they were.
var ErrNonFinite = errors.New("loss is not finite")

// DefaultBatch is Keras' default batch size.
const DefaultBatch = 128

type config struct {
	seed    int64
	threads int
	dtype   tensor.Dtype
	adam    Adam
}

// Option configures Build.
type Option func(*config)

// WithSeed sets the seed of the weight initialisation and of dropout.
func WithSeed(seed int64) Option { return func(c *config) { c.seed = seed } }

// WithThreads sets how many threads the convolutions may use (at least 1).
func WithThreads(n int) Option { return func(c *config) { c.threads = n } }

// WithAdam sets the optimiser's hyper-parameters (Keras' defaults
// otherwise: see NewAdam).
func WithAdam(lr, beta1, beta2, eps float64) Option {
	return func(c *config) { c.adam = *NewAdam(lr, beta1, beta2, eps) }
}

// Param is one weight tensor of a model.
type Param struct {
	Name  string // keras-style: conv2d/kernel, dense_1/bias
	Shape []int
	value *tensor.Dense
}

// Size is the number of values in the tensor.
func (p *Param) Size() int { return p.value.Shape().TotalSize() }

// float64s returns a copy of the values as float64.
func (p *Param) float64s() []float64 {
	out := make([]float64, p.Size())
	load(out, p.value)
	return out
}

// Float32s returns a copy of the values as float32.
func (p *Param) Float32s() []float32 {
	out := make([]float32, p.Size())
	load(out, p.value)
	return out
}

// setFloat32s replaces the values (len(v) of them).
func (p *Param) setFloat32s(v []float32) { store(p.value, v) }

// store sets the float32 or float64 tensor t to src, converted to t's
// element type, and zeroes the values after len(src).
func store[S float32 | float64](t *tensor.Dense, src []S) {
	switch d := t.Data().(type) {
	case []float32:
		convert(d, src)
		clear(d[len(src):])
	case []float64:
		convert(d, src)
		clear(d[len(src):])
	}
}

// load copies the first len(dst) values of the float32 or float64 tensor
// t into dst.
func load[D float32 | float64](dst []D, t *tensor.Dense) {
	switch d := t.Data().(type) {
	case []float32:
		convert(dst, d[:len(dst)])
	case []float64:
		convert(dst, d[:len(dst)])
	}
}

// convert copies src into dst (at least as long), converting each value.
func convert[D, S float32 | float64](dst []D, src []S) {
	if same, ok := any(dst).([]S); ok {
		copy(same, src)
		return
	}
	for i, v := range src {
		dst[i] = D(v)
	}
}

// Model is a network with its weights, optimiser state and machines.
// It is not safe for concurrent use.
type Model struct {
	arch    arch.Arch
	in      arch.Shape
	infos   []arch.LayerInfo
	batch   int
	classes int
	cfg     config
	opsCfg  *ops.Config
	params  []*Param
	pens    []penalised // dense kernels with an l1 or l2 penalty
	adam    *Adam
	pcg     *rand.PCG // dropout's random stream

	train map[int]*machine
	arena *ops.Arena  // the training machines' activations and input gradients
	infer *inferState // nil until the first inference

	frozenMasks bool // tests: keep the dropout masks drawn last
}

// penalised is a weight tensor under Keras' L1L2 regularizer.
type penalised struct {
	p      *Param
	l1, l2 float64
}

// Build checks the architecture against the input shape, initialises the
// weights and returns a model whose default batch size is batch. The last
// layer must be a dense softmax layer (the categorical cross-entropy is
// computed from its logits); softmax elsewhere is not supported.
func Build(a arch.Arch, in arch.Shape, batch int, opts ...Option) (*Model, error) {
	c := config{seed: 1, threads: 1, dtype: tensor.Float32, adam: *NewAdam(0, 0, 0, 0)}
	for _, o := range opts {
		o(&c)
	}
	if in.IsVector() || in.C < 1 || in.H < 1 || in.W < 1 {
		return nil, fmt.Errorf("build %s: input shape %dx%dx%d; want an image shape with C, H and W of at least 1", a.Name, in.C, in.H, in.W)
	}
	if batch < 1 {
		return nil, fmt.Errorf("build %s: batch size %d; want 1 or more", a.Name, batch)
	}
	infos, err := a.Infer(in)
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", a.Name, err)
	}
	if len(infos) == 0 {
		return nil, fmt.Errorf("build %s: the architecture has no layers; it must end with a dense softmax layer", a.Name)
	}
	for i, li := range infos {
		last := i == len(infos)-1
		if last && (li.Layer.Kind != arch.KindDense || li.Layer.Activation != arch.ActSoftmax) {
			return nil, fmt.Errorf("build %s: layer %d (%s) is last but is not a dense softmax layer; the network must end with one", a.Name, i+1, li.Layer.Kind)
		}
		if !last && li.Layer.Activation == arch.ActSoftmax {
			return nil, fmt.Errorf("build %s: layer %d (%s): softmax is only supported on the last layer", a.Name, i+1, li.Layer.Kind)
		}
	}
	m := &Model{
		arch: a, in: in, infos: infos, batch: batch, cfg: c,
		classes: infos[len(infos)-1].Output.C,
		opsCfg:  ops.NewConfig(c.threads),
		adam:    &c.adam,
		train:   map[int]*machine{},
		arena:   ops.NewArena(),
	}
	m.initParams()
	m.pcg = rand.NewPCG(uint64(c.seed), 0x64726f706f7574) // "dropout"
	return m, nil
}

// initParams creates the weights: Glorot-uniform kernels drawn layer by
// layer from the seed, zero biases.
func (m *Model) initParams() {
	r := rand.New(rand.NewPCG(uint64(m.cfg.seed), 0x696e6974)) // "init"
	for _, li := range m.infos {
		l := li.Layer
		var kshape []int
		var fanIn, fanOut, nb int
		switch l.Kind {
		case arch.KindConv2D:
			kshape, nb = []int{l.Filters, li.Input.C, l.Kernel, l.Kernel}, l.Filters
			fanIn, fanOut = l.Kernel*l.Kernel*li.Input.C, l.Kernel*l.Kernel*l.Filters
		case arch.KindDense:
			kshape, nb = []int{li.Input.C, l.Units}, l.Units
			fanIn, fanOut = li.Input.C, l.Units
		default:
			continue
		}
		limit := math.Sqrt(6 / float64(fanIn+fanOut))
		k := m.newParam(li.Name+"/kernel", kshape)
		vals := make([]float64, k.Size())
		for i := range vals {
			vals[i] = (r.Float64()*2 - 1) * limit
		}
		store(k.value, vals)
		m.newParam(li.Name+"/bias", []int{nb})
		if l.Kind == arch.KindDense && (l.L1 > 0 || l.L2 > 0) {
			m.pens = append(m.pens, penalised{k, l.L1, l.L2})
		}
	}
}

func (m *Model) newParam(name string, shape []int) *Param {
	p := &Param{Name: name, Shape: append([]int(nil), shape...),
		value: tensor.New(tensor.Of(m.cfg.dtype), tensor.WithShape(shape...))}
	m.params = append(m.params, p)
	return p
}

// Arch is the model's architecture.
func (m *Model) Arch() arch.Arch { return m.arch }

// Input is the shape of one input image.
func (m *Model) Input() arch.Shape { return m.in }

// Classes is the number of output classes.
func (m *Model) Classes() int { return m.classes }

// Params lists the weight tensors in their fixed order (each layer's
// kernel, then its bias).
func (m *Model) Params() []*Param { return m.params }

// ParamCount is the number of trainable values.
func (m *Model) ParamCount() int {
	n := 0
	for _, p := range m.params {
		n += p.Size()
	}
	return n
}

// SetThreads changes how many threads the convolutions may use.
func (m *Model) SetThreads(n int) { m.opsCfg.SetThreads(n) }

// Close releases the machines.
func (m *Model) Close() {
	for _, mc := range m.train {
		mc.close()
	}
	m.train = map[int]*machine{}
	m.arena = ops.NewArena()
	m.infer = nil
}
