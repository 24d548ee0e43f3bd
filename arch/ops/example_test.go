package ops_test

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"convlab/arch/ops"
)

// A 3×3 convolution with stride 2 and Keras 'same' padding on a 4×4
// image (no padding before, one row and column after, so the centre tap
// reads pixels (1,1), (1,3), (3,1) and (3,3)), and the gradient of its sum
// with respect to the filter.
func ExampleConv2D() {
	g := G.NewGraph()
	cfg := ops.NewConfig(1)
	img := make([]float64, 16)
	for i := range img {
		img[i] = float64(i + 1)
	}
	x := G.NewTensor(g, tensor.Float64, 4, G.WithShape(1, 1, 4, 4), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(1, 1, 4, 4), tensor.WithBacking(img))))
	w := G.NewTensor(g, tensor.Float64, 4, G.WithShape(1, 1, 3, 3), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithShape(1, 1, 3, 3), tensor.WithBacking([]float64{0, 0, 0, 0, 1, 0, 0, 0, 0}))))
	b := G.NewTensor(g, tensor.Float64, 1, G.WithShape(1), G.WithName("b"),
		G.WithValue(tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{0.5}))))
	y, err := ops.Conv2D(cfg, x, w, b, ops.ConvParams{Stride: 2, Padding: "same", ReLU: true, NoInputGrad: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	cost := G.Must(G.Sum(y))
	grads, err := G.Grad(cost, w)
	if err != nil {
		fmt.Println(err)
		return
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(y.Shape(), y.Value().Data())
	fmt.Println(grads[0].Value().Data())
	// Output:
	// (1, 1, 2, 2) [6.5 8.5 14.5 16.5]
	// [24 28 14 40 44 22 20 22 11]
}
