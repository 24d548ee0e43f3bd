package kernels_test

import (
	"fmt"

	"convlab/arch/kernels"
)

// A 3×3 all-ones filter with 'same' padding sums each pixel's
// neighbourhood; the batch of one image runs on one worker.
func ExampleConv2DForward() {
	g, err := kernels.NewConvGeom(1, 1, 3, 3, 1, 3, 1, "same")
	if err != nil {
		fmt.Println(err)
		return
	}
	g.Workers = 1
	x := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	w := []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}
	out := make([]float32, g.OutSize())
	kernels.Conv2DForward(g, x, w, []float32{0}, out, true)
	fmt.Println(out)
	// Output: [12 21 16 27 45 33 24 39 28]
}

// The gradient of a 2×2 max pool goes to the first maximum of each window.
func ExampleMaxPoolBackward() {
	g, err := kernels.NewPoolGeom(1, 1, 2, 4, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	x := []float32{1, 3, 5, 5, 3, 2, 5, 0}
	out := make([]float32, g.OutSize())
	kernels.MaxPoolForward(g, x, out)
	dx := make([]float32, g.InSize())
	kernels.MaxPoolBackward(g, x, out, []float32{10, 20}, dx)
	fmt.Println(out, dx)
	// Output: [3 5] [0 10 20 0 0 0 0 0]
}

// BiasGrad sums a convolution's output gradient per channel.
func ExampleBiasGrad() {
	dz := []float32{1, 2, 10, 20, 3, 4, 30, 40} // n=2, c=2, 2 pixels
	db := make([]float32, 2)
	kernels.BiasGrad(dz, db, 2, 2, 2, 0)
	fmt.Println(db)
	// Output: [10 100]
}

func ExampleSetPath() {
	// The portable Go kernels run on every CPU; CONVLAB_KERNELS=go selects
	// them at start-up the same way.
	prev := kernels.Path()
	if err := kernels.SetPath("go"); err != nil {
		fmt.Println(err)
	}
	fmt.Println(kernels.Path())
	fmt.Println(kernels.SetPath("sse"))
	_ = kernels.SetPath(prev)
	// Output:
	// go
	// kernel path "sse": not a kernel path; valid: avx512, avx2, go
}
