package ops

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"convlab/arch/kernels"
)

// SoftmaxCEOp is the mean over the batch of the categorical cross-entropy
// between softmax(logits) and the target distribution (one-hot rows, as
// Keras' categorical_crossentropy), computed stably with a log-sum-exp.
// After each run it also holds the loss and the softmax probabilities.
type SoftmaxCEOp struct {
	base
	loss  scalar
	last  float64
	probs buffer
}

// SoftmaxCE returns the mean cross-entropy node and its op, whose Loss and
// Probs are valid after each run.
func SoftmaxCE(cfg *Config, logits, target *G.Node) (*G.Node, *SoftmaxCEOp, error) {
	op := &SoftmaxCEOp{base: newBase("SoftmaxCE", cfg)}
	n, err := apply("softmax cross-entropy", op, logits, target)
	if err != nil {
		return nil, nil, err
	}
	return n, op, nil
}

// Loss is the mean cross-entropy of the last run.
func (op *SoftmaxCEOp) Loss() float64 { return op.last }

// Probs is the N×K softmax of the last run's logits (owned by the op:
// overwritten by the next run).
func (op *SoftmaxCEOp) Probs() *tensor.Dense { return op.probs.t }

func (op *SoftmaxCEOp) Arity() int { return 2 }
func (op *SoftmaxCEOp) Type() hm.Type {
	return hm.NewFnType(tt(2), tt(2), hm.TypeVariable('a'))
}
func (op *SoftmaxCEOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapes(op.name, ds, 2)
	if err != nil {
		return nil, err
	}
	if z, t := s[0], s[1]; z.Dims() != 2 || !z.Eq(t) {
		return nil, fmt.Errorf("%s: logits %v and target %v must both be N×K", op.name, z, t)
	}
	return tensor.ScalarShape(), nil
}
func (op *SoftmaxCEOp) Do(vals ...G.Value) (G.Value, error) {
	z, t, err := logitsTarget(op.name, vals, 2)
	if err != nil {
		return nil, err
	}
	n, k := z.Shape()[0], z.Shape()[1]
	p := op.probs.get(z.Dtype(), n, k)
	op.last = forDtype(z.Dtype(), softmaxCETensors[float32], softmaxCETensors[float64])(z, t, p)
	return op.done(vals, op.loss.set(z.Dtype(), op.last)), nil
}

func softmaxCETensors[T float](z, t, p *tensor.Dense) float64 {
	return softmaxCE(floats[T](z), floats[T](t), floats[T](p), z.Shape()[0], z.Shape()[1])
}

// logitsTarget checks the inputs of SoftmaxCE and its gradient: arity
// values, of which the first two are N×K logits and target.
func logitsTarget(name string, vals []G.Value, arity int) (z, t *tensor.Dense, err error) {
	in, err := inputs(name, vals, arity, 2, 2)
	if err != nil {
		return nil, nil, err
	}
	z, t = in[0], in[1]
	if !z.Shape().Eq(t.Shape()) {
		return nil, nil, fmt.Errorf("%s: logits %v and target %v differ in shape", name, z.Shape(), t.Shape())
	}
	return z, t, nil
}

// SoftmaxRow sets p to softmax(z) and returns log(sum(exp(z))), both
// computed in float64 after subtracting the largest value.
func SoftmaxRow[T kernels.Float](z, p []T) float64 {
	m := float64(z[0])
	for _, v := range z[1:] {
		m = max(m, float64(v))
	}
	var s float64
	for j, v := range z {
		e := math.Exp(float64(v) - m)
		p[j] = T(e)
		s += e
	}
	for j := range p {
		p[j] = T(float64(p[j]) / s)
	}
	return m + math.Log(s)
}

func softmaxCE[T kernels.Float](z, t, p []T, n, k int) float64 {
	var total float64
	for i := 0; i < n; i++ {
		zr := z[i*k : (i+1)*k]
		lse := SoftmaxRow(zr, p[i*k:(i+1)*k])
		for j, tv := range t[i*k : (i+1)*k] {
			if tv != 0 {
				total += float64(tv) * (lse - float64(zr[j]))
			}
		}
	}
	return total / float64(n)
}

func (op *SoftmaxCEOp) DiffWRT(int) []bool { return []bool{true, false} }
func (op *SoftmaxCEOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if err := checkArity(op.name, len(inputs), 2); err != nil {
		return nil, err
	}
	gop := &SoftmaxCEGradOp{base: newBase("SoftmaxCEGrad", op.cfg)}
	dz, err := apply(op.name+": backward", gop, inputs[0], inputs[1], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dz, nil}, nil
}

// SoftmaxCEGradOp is the gradient of SoftmaxCE with respect to the
// logits: g·(softmax(z)·Σt − t)/N.
type SoftmaxCEGradOp struct {
	base
	out buffer
}

func (op *SoftmaxCEGradOp) Arity() int { return 3 }
func (op *SoftmaxCEGradOp) Type() hm.Type {
	return hm.NewFnType(tt(2), tt(2), hm.TypeVariable('a'), tt(2))
}
func (op *SoftmaxCEGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return firstShape(op.name, ds)
}
func (op *SoftmaxCEGradOp) Do(vals ...G.Value) (G.Value, error) {
	z, t, err := logitsTarget(op.name, vals, 3)
	if err != nil {
		return nil, err
	}
	g, err := scalarValue(op.name, vals[2])
	if err != nil {
		return nil, err
	}
	out := op.out.get(z.Dtype(), z.Shape()...)
	forDtype(z.Dtype(), softmaxCEGradTensors[float32], softmaxCEGradTensors[float64])(z, t, out, g)
	return op.done(vals, out), nil
}

func softmaxCEGradTensors[T float](z, t, dz *tensor.Dense, g float64) {
	softmaxCEGrad(floats[T](z), floats[T](t), floats[T](dz), z.Shape()[0], z.Shape()[1], g)
}

func softmaxCEGrad[T kernels.Float](z, t, dz []T, n, k int, g float64) {
	scale := g / float64(n)
	for i := 0; i < n; i++ {
		p := dz[i*k : (i+1)*k]
		SoftmaxRow(z[i*k:(i+1)*k], p)
		tr := t[i*k : (i+1)*k]
		var ts float64
		for _, v := range tr {
			ts += float64(v)
		}
		for j := range p {
			p[j] = T(scale * (float64(p[j])*ts - float64(tr[j])))
		}
	}
}

// PenaltyOp is the weight penalty l1·Σ|w| + l2·Σw² of Keras'
// regularizers.L1L2. After each run it also holds its value.
type PenaltyOp struct {
	base
	l1, l2 float64
	rank   int
	val    scalar
	last   float64
}

// Penalty returns the penalty node of w and its op.
func Penalty(cfg *Config, w *G.Node, l1, l2 float64) (*G.Node, *PenaltyOp, error) {
	op := &PenaltyOp{base: newBase(fmt.Sprintf("Penalty(l1=%g,l2=%g)", l1, l2), cfg), l1: l1, l2: l2, rank: w.Dims()}
	n, err := apply("penalty", op, w)
	if err != nil {
		return nil, nil, err
	}
	return n, op, nil
}

// Value is the penalty of the last run.
func (op *PenaltyOp) Value() float64 { return op.last }

func (op *PenaltyOp) Arity() int    { return 1 }
func (op *PenaltyOp) Type() hm.Type { return hm.NewFnType(tt(op.rank), hm.TypeVariable('a')) }
func (op *PenaltyOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if _, err := shapes(op.name, ds, 1); err != nil {
		return nil, err
	}
	return tensor.ScalarShape(), nil
}
func (op *PenaltyOp) Do(vals ...G.Value) (G.Value, error) {
	in, err := inputs(op.name, vals, 1, 0)
	if err != nil {
		return nil, err
	}
	w := in[0]
	op.last = L1L2(w, op.l1, op.l2)
	return op.done(vals, op.val.set(w.Dtype(), op.last)), nil
}

// L1L2 is the penalty l1·Σ|w| + l2·Σw² of a float32 or float64 tensor,
// summed in float64 (0 for other element types).
func L1L2(w *tensor.Dense, l1, l2 float64) float64 {
	switch d := w.Data().(type) {
	case []float32:
		return penalty(d, l1, l2)
	case []float64:
		return penalty(d, l1, l2)
	}
	return 0
}

func penalty[T kernels.Float](w []T, l1, l2 float64) float64 {
	var a, s float64
	for _, v := range w {
		f := float64(v)
		a += math.Abs(f)
		s += f * f
	}
	return l1*a + l2*s
}

func (op *PenaltyOp) DiffWRT(int) []bool { return []bool{true} }
func (op *PenaltyOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if err := checkArity(op.name, len(inputs), 1); err != nil {
		return nil, err
	}
	gop := &PenaltyGradOp{base: newBase("PenaltyGrad", op.cfg), l1: op.l1, l2: op.l2, rank: op.rank}
	dw, err := apply(op.name+": backward", gop, inputs[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dw}, nil
}

// PenaltyGradOp is g·(l1·sign(w) + 2·l2·w), with sign(0) = 0 as in
// TensorFlow.
type PenaltyGradOp struct {
	base
	l1, l2 float64
	rank   int
	out    buffer
}

func (op *PenaltyGradOp) Arity() int { return 2 }
func (op *PenaltyGradOp) Type() hm.Type {
	return hm.NewFnType(tt(op.rank), hm.TypeVariable('a'), tt(op.rank))
}
func (op *PenaltyGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return firstShape(op.name, ds)
}
func (op *PenaltyGradOp) Do(vals ...G.Value) (G.Value, error) {
	in, err := inputs(op.name, vals, 2, 0)
	if err != nil {
		return nil, err
	}
	w := in[0]
	g, err := scalarValue(op.name, vals[1])
	if err != nil {
		return nil, err
	}
	out := op.out.get(w.Dtype(), w.Shape()...)
	forDtype(w.Dtype(), penaltyGradTensors[float32], penaltyGradTensors[float64])(w, out, g*op.l1, 2*g*op.l2)
	return op.done(vals, out), nil
}

func penaltyGradTensors[T float](w, dw *tensor.Dense, a, b float64) {
	kernels.PenaltyGrad(floats[T](w), floats[T](dw), a, b)
}
