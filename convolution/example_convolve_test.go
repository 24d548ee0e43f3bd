package convolution_test

import (
	"fmt"

	"convlab/convolution"
)

// The study's worked example: a vertical edge between 10s and 0s found by
// the kernel whose rows are [1, 0, -1]. Negative sums are clipped to 0.
func ExampleConvolve() {
	img, _ := convolution.FromRows([][]uint8{
		{10, 10, 10, 0, 0, 0},
		{10, 10, 10, 0, 0, 0},
		{10, 10, 10, 0, 0, 0},
		{10, 10, 10, 0, 0, 0},
		{10, 10, 10, 0, 0, 0},
	})
	edge := convolution.Kernel{{1, 0, -1}, {1, 0, -1}, {1, 0, -1}}
	out, err := convolution.Convolve(img, edge)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, row := range out.Rows() {
		fmt.Println(row)
	}
	// Output:
	// [0 0 20 20 0 0]
	// [0 0 30 30 0 0]
	// [0 0 30 30 0 0]
	// [0 0 30 30 0 0]
	// [0 0 20 20 0 0]
}

// ConvolveRaw keeps the sums before clipping.
func ExampleConvolveRaw() {
	img, _ := convolution.FromRows([][]uint8{{10, 10, 10, 0, 0, 0}})
	raw, _ := convolution.ConvolveRaw(img, convolution.Kernel{{0, 0, 0}, {1, 0, -1}, {0, 0, 0}})
	fmt.Println(raw)
	// Output:
	// [-10 0 10 10 0 0]
}

// An even kernel has no centre and is refused.
func ExampleKernel_Size() {
	_, err := convolution.Kernel{{1, 0}, {0, 1}}.Size()
	fmt.Println(err)
	// Output:
	// convolve: kernel is 2x2: its size must be odd (1x1, 3x3, 5x5, ...) so that it has a centre
}
