package net

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// stockNet is the strided preset built from gorgonia v0.9.18's own stock
// ops (Conv2d, BroadcastAdd, Rectify, Dropout, Mul, SoftMax) with no help
// from arch/ops; it exists only as a speed baseline.
type stockNet struct {
	g          *G.ExprGraph
	x, y       *G.Node // images N×3×32×32, one-hot labels N×10
	logp       *G.Node // log of the softmax output, N×10
	loss       *G.Node // cross-entropy + L1 penalty on the dense weights
	dense      *G.Node // dense weights 2048×10, for the L1 check
	learnables G.Nodes // 4×(filter, bias) + dense (weights, bias)
}

// glorot is a Glorot-uniform tensor of the given shape.
func glorot(r *rand.Rand, fanIn, fanOut int, shape ...int) *tensor.Dense {
	lim := float32(math.Sqrt(6 / float64(fanIn+fanOut)))
	t := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(shape...))
	for i, d := 0, t.Float32s(); i < len(d); i++ {
		d[i] = (2*r.Float32() - 1) * lim
	}
	return t
}

// buildStock builds the strided network and its gradients for n images.
func buildStock(n int, r *rand.Rand) (*stockNet, error) {
	g := G.NewGraph()
	s := &stockNet{g: g}
	s.x = G.NewTensor(g, tensor.Float32, 4, G.WithShape(n, 3, 32, 32), G.WithName("x"),
		G.WithValue(tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(n, 3, 32, 32))))
	s.y = G.NewMatrix(g, tensor.Float32, G.WithShape(n, 10), G.WithName("y"),
		G.WithValue(tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(n, 10))))

	cur, in := s.x, 3
	for i, l := range []struct{ filters, stride int }{{16, 1}, {16, 2}, {32, 1}, {32, 2}} {
		w := G.NewTensor(g, tensor.Float32, 4, G.WithShape(l.filters, in, 3, 3), G.WithName(fmt.Sprintf("w%d", i)),
			G.WithValue(glorot(r, in*9, l.filters*9, l.filters, in, 3, 3)))
		b := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, l.filters, 1, 1), G.WithName(fmt.Sprintf("b%d", i)),
			G.WithInit(G.Zeroes()))
		s.learnables = append(s.learnables, w, b)
		c, err := G.Conv2d(cur, w, tensor.Shape{3, 3}, []int{1, 1}, []int{l.stride, l.stride}, []int{1, 1})
		if err != nil {
			return nil, fmt.Errorf("conv %d: %w", i, err)
		}
		if c, err = G.BroadcastAdd(c, b, nil, []byte{0, 2, 3}); err != nil {
			return nil, fmt.Errorf("conv %d bias: %w", i, err)
		}
		if cur, err = G.Rectify(c); err != nil {
			return nil, fmt.Errorf("conv %d relu: %w", i, err)
		}
		in = l.filters
	}
	var err error
	if cur, err = G.Dropout(cur, 0.5); err != nil {
		return nil, fmt.Errorf("dropout: %w", err)
	}
	if cur, err = G.Reshape(cur, tensor.Shape{n, 32 * 8 * 8}); err != nil {
		return nil, fmt.Errorf("flatten: %w", err)
	}
	s.dense = G.NewMatrix(g, tensor.Float32, G.WithShape(2048, 10), G.WithName("wd"),
		G.WithValue(glorot(r, 2048, 10, 2048, 10)))
	bd := G.NewMatrix(g, tensor.Float32, G.WithShape(1, 10), G.WithName("bd"), G.WithInit(G.Zeroes()))
	s.learnables = append(s.learnables, s.dense, bd)
	if cur, err = G.Mul(cur, s.dense); err != nil {
		return nil, fmt.Errorf("dense: %w", err)
	}
	if cur, err = G.BroadcastAdd(cur, bd, nil, []byte{0}); err != nil {
		return nil, fmt.Errorf("dense bias: %w", err)
	}
	probs, err := G.SoftMax(cur)
	if err != nil {
		return nil, fmt.Errorf("softmax: %w", err)
	}

	// loss = -mean(sum(y * log(p), 1)) + 1e-4 * sum(|W_dense|)
	if s.logp, err = G.Log(probs); err != nil {
		return nil, err
	}
	yl, err := G.HadamardProd(s.y, s.logp)
	if err != nil {
		return nil, err
	}
	perImage, err := G.Sum(yl, 1)
	if err != nil {
		return nil, err
	}
	mean, err := G.Mean(perImage)
	if err != nil {
		return nil, err
	}
	ce, err := G.Neg(mean)
	if err != nil {
		return nil, err
	}
	absW, err := G.Abs(s.dense)
	if err != nil {
		return nil, err
	}
	sumAbs, err := G.Sum(absW)
	if err != nil {
		return nil, err
	}
	l1, err := G.Mul(G.NewConstant(float32(1e-4)), sumAbs)
	if err != nil {
		return nil, err
	}
	if s.loss, err = G.Add(ce, l1); err != nil {
		return nil, err
	}
	if _, err = G.Grad(s.loss, s.learnables...); err != nil {
		return nil, fmt.Errorf("grad: %w", err)
	}
	return s, nil
}

// setBatch stores images and one-hot labels into the graph's inputs.
func (s *stockNet) setBatch(x []float32, y []uint8) error {
	n := len(y)
	oh := make([]float32, n*10)
	for i, c := range y {
		oh[i*10+int(c)] = 1
	}
	if err := G.Let(s.x, tensor.New(tensor.WithShape(n, 3, 32, 32), tensor.WithBacking(x))); err != nil {
		return err
	}
	return G.Let(s.y, tensor.New(tensor.WithShape(n, 10), tensor.WithBacking(oh)))
}

// BenchmarkTrainStepStock is the "before" baseline for BenchmarkTrainStep:
// the same strided network, batch, loss (cross-entropy plus an L1 penalty
// of 1e-4 on the dense weights) and Adam step, but built from gorgonia's
// stock ops instead of the custom ones in arch/ops. Running
//
//	go test -run XXX -bench 'TrainStep$|TrainStepStock' ./arch/net/
//
// gives both images/s figures in one run, so their ratio is how much the
// custom ops speed up a training step.
func BenchmarkTrainStepStock(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	s, err := buildStock(128, r)
	if err != nil {
		b.Fatal(err)
	}
	m := G.NewTapeMachine(s.g, G.BindDualValues(s.learnables...))
	defer m.Close()
	// The loss is already a mean over the batch, so the solver must not
	// divide the gradients again: batch size 1 (the default) skips that.
	solver := G.NewAdamSolver(G.WithLearnRate(0.001), G.WithBatchSize(1))
	x, y := randImages(r, 128, cifar), randLabels(r, 128, 10)
	step := func() error {
		if err := s.setBatch(x, y); err != nil {
			return err
		}
		if err := m.RunAll(); err != nil {
			return err
		}
		if err := solver.Step(G.NodesToValueGrads(s.learnables)); err != nil {
			return err
		}
		m.Reset()
		return nil
	}
	if err := step(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := step(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(128*b.N)/b.Elapsed().Seconds(), "images/s")
}

// TestStockStrided checks the stock baseline computes what it claims: a
// softmax over 10 classes per image (read back through its log, since Log
// overwrites the softmax's register in place); a loss equal to the cross-entropy
// recomputed here from those probabilities plus the L1 penalty recomputed
// from the dense weights, near ln 10 for small random weights; and a dense
// bias gradient equal to the textbook mean(p - y).
func TestStockStrided(t *testing.T) {
	const n = 4
	r := rand.New(rand.NewPCG(2, 2))
	s, err := buildStock(n, r)
	if err != nil {
		t.Fatal(err)
	}
	// The tape machine reuses registers, so a node's Value after RunAll
	// may hold a later op's result; Read copies the value out instead.
	var logpv, lv G.Value
	G.Read(s.logp, &logpv)
	G.Read(s.loss, &lv)
	m := G.NewTapeMachine(s.g, G.BindDualValues(s.learnables...))
	defer m.Close()
	x, y := randImages(r, n, cifar), randLabels(r, n, 10)
	if err := s.setBatch(x, y); err != nil {
		t.Fatal(err)
	}
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}

	lp := logpv.(*tensor.Dense)
	if !lp.Shape().Eq(tensor.Shape{n, 10}) {
		t.Fatalf("probs shape %v, want (%d, 10)", lp.Shape(), n)
	}
	lpd := lp.Float32s()
	var ce float64
	want := make([]float64, 10) // dLoss/dbd = mean over images of p - y
	for i := range n {
		var sum float64
		for k := range 10 {
			p := math.Exp(float64(lpd[i*10+k]))
			sum += p
			want[k] += p / n
		}
		want[y[i]] -= 1.0 / n
		if !(math.Abs(sum-1) <= 1e-5) {
			t.Errorf("row %d of probs sums to %v", i, sum)
		}
		ce -= float64(lpd[i*10+int(y[i])])
	}
	ce /= n
	var l1 float64
	for _, w := range s.dense.Value().(*tensor.Dense).Float32s() {
		l1 += math.Abs(float64(w))
	}
	l1 *= 1e-4

	loss := float64(lv.Data().(float32))
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		t.Fatalf("loss %v", loss)
	}
	if !(math.Abs(loss-(ce+l1)) <= 1e-4) {
		t.Errorf("loss %v, want cross-entropy %v + L1 %v = %v", loss, ce, l1, ce+l1)
	}
	if !(math.Abs(ce-math.Log(10)) <= 0.5) {
		t.Errorf("cross-entropy %v, want near ln 10 = %v for small random weights", ce, math.Log(10))
	}
	for i, l := range s.learnables {
		if _, err := l.Grad(); err != nil {
			t.Errorf("learnable %d (%s) has no gradient: %v", i, l.Name(), err)
		}
	}
	g, err := s.learnables[len(s.learnables)-1].Grad()
	if err != nil {
		t.Fatal(err)
	}
	for k, got := range g.Data().([]float32) {
		if !(math.Abs(float64(got)-want[k]) <= 1e-5) {
			t.Errorf("dense bias grad[%d] = %v, want mean(p - y) = %v", k, got, want[k])
		}
	}
}
