package net

import (
	"fmt"
	"math"
	"runtime"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"convlab/arch"
	"convlab/arch/ops"
)

// machine is one compiled graph for a fixed number of images.
type machine struct {
	n      int
	g      *G.ExprGraph
	vm     G.VM
	x      *tensor.Dense // input images, N×C×H×W
	target *tensor.Dense // one-hot labels, N×K (training)
	masks  []*tensor.Dense
	rates  []float64
	logits *G.Node
	layers G.Nodes // each layer's output node (nil for a skipped dropout)
	ce     *ops.SoftmaxCEOp
	pens   []*ops.PenaltyOp
	grads  G.Nodes       // one per param, in param order (training)
	vgs    []G.ValueGrad // adapters handed to the solver
}

// paramGrad adapts a weight tensor and its gradient to G.ValueGrad.
type paramGrad struct {
	v, g G.Value
}

func (p *paramGrad) Value() G.Value         { return p.v }
func (p *paramGrad) Grad() (G.Value, error) { return p.g, nil }

// build compiles a graph for n images; training graphs have dropout on,
// the loss and the gradients. Inference does not use a graph (infer.go);
// the tests check it against one built with training false.
func (m *Model) build(n int, training bool) (*machine, error) {
	dt := m.cfg.dtype
	g := G.NewGraph()
	mc := &machine{n: n, g: g}
	mc.x = tensor.New(tensor.Of(dt), tensor.WithShape(n, m.in.C, m.in.H, m.in.W))
	x := G.NewTensor(g, dt, 4, G.WithShape(n, m.in.C, m.in.H, m.in.W), G.WithValue(mc.x), G.WithName("x"))
	weights := make(G.Nodes, len(m.params))
	for i, p := range m.params {
		// Names keep gorgonia from merging inputs of equal shape.
		weights[i] = G.NewTensor(g, dt, len(p.Shape), G.WithShape(p.Shape...), G.WithValue(p.value), G.WithName(p.Name))
	}
	cur := x
	pi := 0
	var err error
	var penalties G.Nodes
	chained := 0 // layers left of a chain built with the one before
	for i, li := range m.infos {
		l := li.Layer
		fail := func(err error) (*machine, error) {
			return nil, fmt.Errorf("build %s: layer %d (%s): %w", m.arch.Name, i+1, li.Name, err)
		}
		if chained > 0 {
			chained-- // built with the chain's first layer
			continue
		}
		switch l.Kind {
		case arch.KindConv2D:
			p := convParams(l, cur == x)
			if k := m.chainLength(i, cur == x); k > 1 {
				// The layers' outputs but the last are inside the op.
				layers := []ops.ConvParams{p}
				for _, next := range m.infos[i+1 : i+k] {
					layers = append(layers, convParams(next.Layer, false))
				}
				if cur, err = ops.Conv2DChain(m.opsCfg, cur, weights[pi:pi+2*k], layers); err != nil {
					return fail(err)
				}
				pi += 2 * k
				// The chain's output is its last layer's.
				mc.layers = append(mc.layers, make(G.Nodes, k-1)...)
				mc.layers = append(mc.layers, cur)
				chained = k - 1
				continue
			}
			if cur, err = ops.Conv2D(m.opsCfg, cur, weights[pi], weights[pi+1], p); err != nil {
				return fail(err)
			}
			pi += 2
		case arch.KindMaxPool2D:
			if cur, err = ops.MaxPool2D(m.opsCfg, cur, l.Pool); err != nil {
				return fail(err)
			}
		case arch.KindDropout:
			if !training || l.Rate == 0 {
				mc.layers = append(mc.layers, nil)
				continue
			}
			shape := append([]int(nil), cur.Shape()...)
			mask := tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
			mn := G.NewTensor(g, dt, len(shape), G.WithShape(shape...), G.WithValue(mask), G.WithName(fmt.Sprintf("mask%d", i)))
			if cur, err = ops.Mask(m.opsCfg, cur, mn); err != nil {
				return fail(err)
			}
			mc.masks = append(mc.masks, mask)
			mc.rates = append(mc.rates, l.Rate)
		case arch.KindFlatten:
			if cur.Dims() > 2 {
				if cur, err = ops.Flatten(m.opsCfg, cur); err != nil {
					return fail(err)
				}
			}
		case arch.KindDense:
			w := weights[pi]
			if cur, err = ops.Dense(m.opsCfg, cur, w, weights[pi+1], l.Activation == arch.ActReLU); err != nil {
				return fail(err)
			}
			pi += 2
			if training && (l.L1 > 0 || l.L2 > 0) {
				pn, pop, err := ops.Penalty(m.opsCfg, w, l.L1, l.L2)
				if err != nil {
					return fail(err)
				}
				penalties = append(penalties, pn)
				mc.pens = append(mc.pens, pop)
			}
		default:
			return fail(fmt.Errorf("unknown layer kind %q", l.Kind))
		}
		mc.layers = append(mc.layers, cur)
	}
	mc.logits = cur
	if !training {
		mc.vm = G.NewTapeMachine(g)
		return mc, nil
	}
	mc.target = tensor.New(tensor.Of(dt), tensor.WithShape(n, m.classes))
	tn := G.NewTensor(g, dt, 2, G.WithShape(n, m.classes), G.WithValue(mc.target), G.WithName("target"))
	loss, ce, err := ops.SoftmaxCE(m.opsCfg, cur, tn)
	if err != nil {
		return nil, fmt.Errorf("build %s: loss: %w", m.arch.Name, err)
	}
	mc.ce = ce
	for _, p := range penalties {
		if loss, err = G.Add(loss, p); err != nil {
			return nil, fmt.Errorf("build %s: loss: %w", m.arch.Name, err)
		}
	}
	if mc.grads, err = G.Grad(loss, weights...); err != nil {
		return nil, fmt.Errorf("build %s: gradients: %w", m.arch.Name, err)
	}
	mc.vgs = make([]G.ValueGrad, len(m.params))
	for i, p := range m.params {
		mc.vgs[i] = &paramGrad{v: p.value}
	}
	// Every value but the gradients and the logits is dead once the step
	// has its loss: lent from the model's arena, shared by its machines.
	m.arena.Share(g, append(G.Nodes{mc.logits}, mc.grads...)...)
	mc.vm = G.NewTapeMachine(g)
	return mc, nil
}

func convParams(l arch.Layer, first bool) ops.ConvParams {
	return ops.ConvParams{Stride: l.Stride, Padding: l.Padding, ReLU: l.Activation == arch.ActReLU, NoInputGrad: first}
}

// chainLength is how many layers from conv layer i on, first when its
// input is the data, run as one op (see ops.Conv2DChain): the leading
// run of convolutions with ReLUs, the first needing no input gradient.
func (m *Model) chainLength(i int, first bool) int {
	if !first {
		return 0
	}
	k := 0
	for _, li := range m.infos[i:] {
		if li.Layer.Kind != arch.KindConv2D || li.Layer.Activation != arch.ActReLU {
			break
		}
		k++
	}
	return k
}

// close releases the machine. gorgonia's tape machine carries a finalizer
// (a no-op without CUDA, where Close has done its work): an object with a
// finalizer, and all it reaches (the graph, every activation and
// gradient buffer), outlives the garbage collection that finds it
// unreachable. Runs that finish between two collections then pile up, the
// live heap grows, the next collection comes later, and memory grows with
// the number of runs. Without the finalizer a closed machine goes in the
// first collection.
func (mc *machine) close() {
	mc.vm.Close()
	runtime.SetFinalizer(mc.vm, nil)
}

func (m *Model) trainMachine(n int) (*machine, error) {
	if mc, ok := m.train[n]; ok {
		return mc, nil
	}
	mc, err := m.build(n, true)
	if err != nil {
		return nil, err
	}
	m.train[n] = mc
	return mc, nil
}

// checkBatch validates a batch of n images.
func (m *Model) checkBatch(what string, x []float32, n int, y []uint8) error {
	size := m.in.Size()
	if n < 1 {
		return fmt.Errorf("%s: %d images; want 1 or more", what, n)
	}
	if len(x) != n*size {
		return fmt.Errorf("%s: %d input values for %d images of %dx%dx%d; want %d", what, len(x), n, m.in.C, m.in.H, m.in.W, n*size)
	}
	return m.checkLabels(what, y)
}

// checkLabels reports the first label outside the model's classes.
func (m *Model) checkLabels(what string, y []uint8) error {
	for i, l := range y {
		if int(l) >= m.classes {
			return fmt.Errorf("%s: label %d of image %d is out of range; want 0..%d", what, l, i, m.classes-1)
		}
	}
	return nil
}

// TrainStep does one forward pass (dropout on), backward pass and Adam
// update on the batch of len(y) images x (N×C×H×W, values in [0, 1]). It
// returns the batch's loss (mean cross-entropy plus the penalties, before
// the update) and accuracy. A non-finite loss returns an error wrapping
// ErrNonFinite and leaves the weights unchanged.
func (m *Model) TrainStep(x []float32, y []uint8) (loss, acc float64, err error) {
	n := len(y)
	if err := m.checkBatch("train step", x, n, y); err != nil {
		return 0, 0, err
	}
	mc, loss, acc, err := m.forwardBackward(x, y)
	if err != nil {
		return loss, acc, err
	}
	if err := m.applyGradients(mc); err != nil {
		return loss, acc, err
	}
	return loss, acc, nil
}

// applyGradients hands the gradients forwardBackward left in mc to Adam.
func (m *Model) applyGradients(mc *machine) error {
	for i, gn := range mc.grads {
		mc.vgs[i].(*paramGrad).g = gn.Value()
	}
	if err := m.adam.Step(mc.vgs); err != nil {
		return fmt.Errorf("train step: %w", err)
	}
	return nil
}

// forwardBackward runs the training machine for len(y) images: the loss,
// accuracy and gradients (in mc.grads), without updating anything.
func (m *Model) forwardBackward(x []float32, y []uint8) (mc *machine, loss, acc float64, err error) {
	n := len(y)
	if mc, err = m.trainMachine(n); err != nil {
		return nil, 0, 0, err
	}
	store(mc.x, x)
	setOneHot(mc.target, y, m.classes)
	if !m.frozenMasks {
		for i, mask := range mc.masks {
			m.fillMask(mask, mc.rates[i])
		}
	}
	mc.vm.Reset()
	m.arena.Reset()
	if err := mc.vm.RunAll(); err != nil {
		return nil, 0, 0, fmt.Errorf("train step: %w", err)
	}
	loss = mc.ce.Loss()
	for _, p := range mc.pens {
		loss += p.Value()
	}
	acc = accuracy(mc.ce.Probs(), y, m.classes)
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return nil, loss, acc, fmt.Errorf("train step %d: loss %v: %w", m.adam.t+1, loss, ErrNonFinite)
	}
	return mc, loss, acc, nil
}

// setOneHot sets the N×k tensor t to the one-hot rows of the labels y.
func setOneHot(t *tensor.Dense, y []uint8, k int) {
	switch d := t.Data().(type) {
	case []float32:
		oneHot(d, y, k)
	case []float64:
		oneHot(d, y, k)
	}
}

func oneHot[T float32 | float64](d []T, y []uint8, k int) {
	clear(d)
	for i, l := range y {
		d[i*k+int(l)] = 1
	}
}

// argmax returns the index of the largest value (the first on ties).
func argmax[T float32 | float64](row []T) int {
	best := 0
	for j, v := range row {
		if v > row[best] {
			best = j
		}
	}
	return best
}

// accuracy is the share of the rows of the N×k tensor probs whose
// largest value is at the label.
func accuracy(probs *tensor.Dense, y []uint8, k int) float64 {
	switch d := probs.Data().(type) {
	case []float32:
		return rowAccuracy(d, y, k)
	case []float64:
		return rowAccuracy(d, y, k)
	}
	return 0
}

func rowAccuracy[T float32 | float64](d []T, y []uint8, k int) float64 {
	correct := 0
	for i, l := range y {
		if argmax(d[i*k:(i+1)*k]) == int(l) {
			correct++
		}
	}
	return float64(correct) / float64(len(y))
}

// copyFrom is a fill for forEachChunk that copies images out of x.
func (m *Model) copyFrom(x []float32) func(dst []float32, start, count int) {
	size := m.in.Size()
	return func(dst []float32, start, count int) {
		copy(dst, x[start*size:(start+count)*size])
	}
}

// Predict returns the class probabilities (n×K, row-major) of the n
// images x, with dropout off.
func (m *Model) Predict(x []float32, n int) (probs []float32, err error) {
	if err := m.checkBatch("predict", x, n, nil); err != nil {
		return nil, err
	}
	k := m.classes
	probs = make([]float32, n*k)
	row := make([]float64, k)
	err = m.forEachChunk(n, m.copyFrom(x), func(start, count int, logits []float64) {
		for i := 0; i < count; i++ {
			ops.SoftmaxRow(logits[i*k:(i+1)*k], row)
			for j, p := range row {
				probs[(start+i)*k+j] = float32(p)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return probs, nil
}

// Evaluate scores the model on the images x with labels y, dropout off:
// the loss as Keras' evaluate reports it (mean cross-entropy plus the
// weight penalties), the accuracy and each image's predicted class. No
// images (x and y empty) score a zero loss and accuracy and no
// predictions.
func (m *Model) Evaluate(x []float32, y []uint8) (loss, acc float64, pred []int, err error) {
	n := len(y)
	if n == 0 && len(x) == 0 {
		return 0, 0, []int{}, nil
	}
	if err := m.checkBatch("evaluate", x, n, y); err != nil {
		return 0, 0, nil, err
	}
	return m.EvaluateImages(y, m.copyFrom(x))
}

// EvaluateImages is Evaluate on len(y) images that fill writes, a batch at
// a time, into dst: images [start, start+count) as count·C·H·W values.
// It lets a caller keep its images in a smaller form (bytes) and convert
// only the batch being scored.
func (m *Model) EvaluateImages(y []uint8, fill func(dst []float32, start, count int)) (loss, acc float64, pred []int, err error) {
	n := len(y)
	if n == 0 {
		return 0, 0, []int{}, nil
	}
	if err := m.checkLabels("evaluate", y); err != nil {
		return 0, 0, nil, err
	}
	k := m.classes
	pred = make([]int, n)
	row := make([]float64, k)
	var ce float64
	correct := 0
	err = m.forEachChunk(n, fill, func(start, count int, logits []float64) {
		for i := 0; i < count; i++ {
			z := logits[i*k : (i+1)*k]
			lse := ops.SoftmaxRow(z, row)
			l := int(y[start+i])
			ce += lse - z[l]
			p := argmax(z)
			pred[start+i] = p
			if p == l {
				correct++
			}
		}
	})
	if err != nil {
		return 0, 0, nil, err
	}
	return ce/float64(n) + m.Penalty(), float64(correct) / float64(n), pred, nil
}

// Penalty is the current value of every dense layer's weight penalty.
func (m *Model) Penalty() float64 {
	var total float64
	for _, pen := range m.pens {
		total += ops.L1L2(pen.p.value, pen.l1, pen.l2)
	}
	return total
}
