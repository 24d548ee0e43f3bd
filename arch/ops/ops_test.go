package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// input is one input of an op under test.
type input struct {
	shape []int
	data  []float64 // nil: random in [-1, 1)
	diff  bool      // check the gradient with respect to it
}

func randData(r *rand.Rand, n int) []float64 {
	d := make([]float64, n)
	for i := range d {
		d[i] = r.Float64()*2 - 1
	}
	return d
}

func size(shape []int) int {
	n := 1
	for _, v := range shape {
		n *= v
	}
	return n
}

// gradCheck builds the op on float64 inputs, reduces its output to a
// scalar cost (a fixed random weighting of a tensor output), and compares
// gorgonia's symbolic gradient with central finite differences for every
// element of every input marked diff.
func gradCheck(t *testing.T, ins []input, build func(cfg *Config, xs []*G.Node) (*G.Node, error)) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	g := G.NewGraph()
	cfg := NewConfig(2)
	nodes := make([]*G.Node, len(ins))
	vals := make([][]float64, len(ins))
	for i, in := range ins {
		d := in.data
		if d == nil {
			d = randData(r, size(in.shape))
		}
		vals[i] = d
		tv := tensor.New(tensor.WithShape(in.shape...), tensor.WithBacking(d))
		nodes[i] = G.NewTensor(g, tensor.Float64, len(in.shape), G.WithShape(in.shape...), G.WithValue(tv), G.WithName(fmt.Sprintf("in%d", i)))
	}
	out, err := build(cfg, nodes)
	if err != nil {
		t.Fatal(err)
	}
	cost := out
	if !out.IsScalar() {
		w := tensor.New(tensor.WithShape(out.Shape()...), tensor.WithBacking(randData(r, out.Shape().TotalSize())))
		wn := G.NewTensor(g, tensor.Float64, out.Dims(), G.WithShape(out.Shape()...), G.WithValue(w), G.WithName("weighting"))
		cost = G.Must(G.Sum(G.Must(G.HadamardProd(out, wn))))
	}
	var wrt G.Nodes
	var idx []int
	for i, in := range ins {
		if in.diff {
			wrt = append(wrt, nodes[i])
			idx = append(idx, i)
		}
	}
	grads, err := G.Grad(cost, wrt...)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	run := func() float64 {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		switch v := cost.Value().(type) {
		case *G.F64:
			return float64(*v)
		default:
			return v.Data().(float64)
		}
	}
	run()
	analytic := make([][]float64, len(grads))
	for i, gn := range grads {
		analytic[i] = append([]float64(nil), gn.Value().Data().([]float64)...)
	}
	const h = 1e-6
	for gi, i := range idx {
		d := vals[i]
		for j := range d {
			old := d[j]
			d[j] = old + h
			up := run()
			d[j] = old - h
			down := run()
			d[j] = old
			num := (up - down) / (2 * h)
			a := analytic[gi][j]
			if math.Abs(num-a) > 1e-6*(1+math.Abs(num)+math.Abs(a)) {
				t.Fatalf("input %d element %d: symbolic gradient %.10g, finite difference %.10g", i, j, a, num)
			}
		}
	}
}

func TestGradients(t *testing.T) {
	oneHot := func(n, k int, labels ...int) []float64 {
		d := make([]float64, n*k)
		for i, l := range labels {
			d[i*k+l] = 1
		}
		return d
	}
	mask := []float64{2, 0, 2, 2, 0, 0, 2, 2, 0, 2, 2, 2}
	tests := []struct {
		name  string
		ins   []input
		build func(cfg *Config, xs []*G.Node) (*G.Node, error)
	}{
		{"conv same stride 1 relu", []input{{[]int{2, 2, 5, 5}, nil, true}, {[]int{3, 2, 3, 3}, nil, true}, {[]int{3}, nil, true}},
			func(cfg *Config, xs []*G.Node) (*G.Node, error) {
				return Conv2D(cfg, xs[0], xs[1], xs[2], ConvParams{Stride: 1, Padding: "same", ReLU: true})
			}},
		// The first layer's case: no input gradient, the ReLU's gradient
		// fused into the filter gradient.
		{"conv same stride 1 relu no input grad", []input{{[]int{2, 3, 6, 6}, nil, false}, {[]int{4, 3, 3, 3}, nil, true}, {[]int{4}, nil, true}},
			func(cfg *Config, xs []*G.Node) (*G.Node, error) {
				return Conv2D(cfg, xs[0], xs[1], xs[2], ConvParams{Stride: 1, Padding: "same", ReLU: true, NoInputGrad: true})
			}},
		{"conv same stride 2 relu no input grad", []input{{[]int{1, 2, 8, 8}, nil, false}, {[]int{3, 2, 3, 3}, nil, true}, {[]int{3}, nil, true}},
			func(cfg *Config, xs []*G.Node) (*G.Node, error) {
				return Conv2D(cfg, xs[0], xs[1], xs[2], ConvParams{Stride: 2, Padding: "same", ReLU: true, NoInputGrad: true})
			}},
		{"conv same stride 2 even input", []input{{[]int{2, 2, 6, 6}, nil, true}, {[]int{3, 2, 3, 3}, nil, true}, {[]int{3}, nil, true}},
			func(cfg *Config, xs []*G.Node) (*G.Node, error) {
				return Conv2D(cfg, xs[0], xs[1], xs[2], ConvParams{Stride: 2, Padding: "same", ReLU: true})
			}},
		{"conv same stride 2 odd input no relu", []input{{[]int{1, 2, 7, 5}, nil, true}, {[]int{2, 2, 3, 3}, nil, true}, {[]int{2}, nil, true}},
			func(cfg *Config, xs []*G.Node) (*G.Node, error) {
				return Conv2D(cfg, xs[0], xs[1], xs[2], ConvParams{Stride: 2, Padding: "same"})
			}},
		{"conv valid stride 1", []input{{[]int{2, 3, 5, 6}, nil, true}, {[]int{2, 3, 3, 3}, nil, true}, {[]int{2}, nil, true}},
			func(cfg *Config, xs []*G.Node) (*G.Node, error) {
				return Conv2D(cfg, xs[0], xs[1], xs[2], ConvParams{Stride: 1, Padding: "valid", ReLU: true})
			}},
		{"conv valid stride 2 kernel 5", []input{{[]int{2, 1, 8, 9}, nil, true}, {[]int{2, 1, 5, 5}, nil, true}, {[]int{2}, nil, true}},
			func(cfg *Config, xs []*G.Node) (*G.Node, error) {
				return Conv2D(cfg, xs[0], xs[1], xs[2], ConvParams{Stride: 2, Padding: "valid"})
			}},
		// A net's leading layers as one op: stride 1, 2, 1; 'same' and
		// 'valid'; F not a multiple of 4.
		{"conv chain", []input{{[]int{2, 3, 6, 5}, nil, false}, {[]int{4, 3, 3, 3}, nil, true}, {[]int{4}, nil, true},
			{[]int{3, 4, 3, 3}, nil, true}, {[]int{3}, nil, true}, {[]int{2, 3, 3, 3}, nil, true}, {[]int{2}, nil, true}},
			func(cfg *Config, xs []*G.Node) (*G.Node, error) {
				return Conv2DChain(cfg, xs[0], xs[1:], []ConvParams{{Stride: 1, Padding: "same", ReLU: true, NoInputGrad: true},
					{Stride: 2, Padding: "same", ReLU: true}, {Stride: 1, Padding: "valid", ReLU: true}})
			}},
		{"conv chain of two", []input{{[]int{1, 2, 7, 7}, nil, false}, {[]int{3, 2, 3, 3}, nil, true}, {[]int{3}, nil, true},
			{[]int{5, 3, 3, 3}, nil, true}, {[]int{5}, nil, true}},
			func(cfg *Config, xs []*G.Node) (*G.Node, error) {
				return Conv2DChain(cfg, xs[0], xs[1:], []ConvParams{{Stride: 2, Padding: "valid", ReLU: true, NoInputGrad: true},
					{Stride: 1, Padding: "same", ReLU: true}})
			}},
		{"maxpool 2", []input{{[]int{2, 2, 4, 5}, nil, true}},
			func(cfg *Config, xs []*G.Node) (*G.Node, error) { return MaxPool2D(cfg, xs[0], 2) }},
		{"maxpool 3", []input{{[]int{1, 2, 6, 7}, nil, true}},
			func(cfg *Config, xs []*G.Node) (*G.Node, error) { return MaxPool2D(cfg, xs[0], 3) }},
		{"dense", []input{{[]int{3, 4}, nil, true}, {[]int{4, 5}, nil, true}, {[]int{5}, nil, true}},
			func(cfg *Config, xs []*G.Node) (*G.Node, error) { return Dense(cfg, xs[0], xs[1], xs[2], false) }},
		{"dense relu", []input{{[]int{3, 4}, nil, true}, {[]int{4, 5}, nil, true}, {[]int{5}, nil, true}},
			func(cfg *Config, xs []*G.Node) (*G.Node, error) { return Dense(cfg, xs[0], xs[1], xs[2], true) }},
		{"flatten", []input{{[]int{2, 2, 3, 2}, nil, true}},
			func(cfg *Config, xs []*G.Node) (*G.Node, error) { return Flatten(cfg, xs[0]) }},
		{"mask", []input{{[]int{2, 6}, nil, true}, {[]int{2, 6}, mask, false}},
			func(cfg *Config, xs []*G.Node) (*G.Node, error) { return Mask(cfg, xs[0], xs[1]) }},
		{"softmax cross-entropy", []input{{[]int{3, 4}, nil, true}, {[]int{3, 4}, oneHot(3, 4, 2, 0, 3), false}},
			func(cfg *Config, xs []*G.Node) (*G.Node, error) {
				n, _, err := SoftmaxCE(cfg, xs[0], xs[1])
				return n, err
			}},
		{"l1 penalty", []input{{[]int{4, 3}, nil, true}},
			func(cfg *Config, xs []*G.Node) (*G.Node, error) {
				n, _, err := Penalty(cfg, xs[0], 0.3, 0)
				return n, err
			}},
		{"l1+l2 penalty", []input{{[]int{5}, nil, true}},
			func(cfg *Config, xs []*G.Node) (*G.Node, error) {
				n, _, err := Penalty(cfg, xs[0], 0.01, 0.2)
				return n, err
			}},
		{"conv pool flatten dense cross-entropy", []input{
			{[]int{2, 1, 4, 4}, nil, true}, {[]int{2, 1, 3, 3}, nil, true}, {[]int{2}, nil, true},
			{[]int{8, 3}, nil, true}, {[]int{3}, nil, true}, {[]int{2, 3}, oneHot(2, 3, 1, 2), false}},
			func(cfg *Config, xs []*G.Node) (*G.Node, error) {
				c, err := Conv2D(cfg, xs[0], xs[1], xs[2], ConvParams{Stride: 1, Padding: "same", ReLU: true})
				if err != nil {
					return nil, err
				}
				p, err := MaxPool2D(cfg, c, 2)
				if err != nil {
					return nil, err
				}
				f, err := Flatten(cfg, p)
				if err != nil {
					return nil, err
				}
				d, err := Dense(cfg, f, xs[3], xs[4], false)
				if err != nil {
					return nil, err
				}
				ce, _, err := SoftmaxCE(cfg, d, xs[5])
				if err != nil {
					return nil, err
				}
				pen, _, err := Penalty(cfg, xs[3], 0.05, 0)
				if err != nil {
					return nil, err
				}
				return G.Add(ce, pen)
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { gradCheck(t, tc.ins, tc.build) })
	}
}
