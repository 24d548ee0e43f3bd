package convolution_test

import (
	"fmt"
	"os"
	"path/filepath"

	"convlab/convolution"
)

func ExampleParse() {
	exp, err := convolution.Parse([]byte(`kind: convolution
name: figure1
image: images/chelsea.png
channel: blue
kernels:
  kernel_1: [[-1,-1,-1],[-1,8,-1],[-1,-1,-1]]
  kernel_2: [[0,-1,0],[-1,8,-1],[0,-1,0]]
`), "experiments/figure1.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(exp.Name, exp.Image, exp.Channels)
	for _, k := range exp.Kernels {
		fmt.Println(k.Name, k.Kernel)
	}
	// Output:
	// figure1 experiments/images/chelsea.png [blue]
	// kernel_1 [[-1 -1 -1] [-1 8 -1] [-1 -1 -1]]
	// kernel_2 [[0 -1 0] [-1 8 -1] [0 -1 0]]
}

func ExampleParse_error() {
	_, err := convolution.Parse([]byte(`kind: convolution
image: cat.png
chanel: blue
kernels:
  k: [[1, 0], [0, 1]]
`), "conv.yaml")
	fmt.Println(err)
	// Output:
	// conv.yaml:3:1: chanel: unknown key "chanel" (did you mean channel?); valid: kind, name, image, channel, channels, kernels
	// conv.yaml:5:6: kernel k is 2x2: its size must be odd (1x1, 3x3, 5x5, ...) so that it has a centre
}

// Run writes Figure 1 and every channel and result as PNG files.
func ExampleRun() {
	out, err := os.MkdirTemp("", "figure1-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(out)
	dir, err := convolution.Run(filepath.Join("..", "experiments", "figure1.yaml"), out)
	if err != nil {
		fmt.Println(err)
		return
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	for _, f := range files {
		fmt.Println(filepath.Base(f))
	}
	// Output:
	// blue.png
	// blue_kernel_1.png
	// blue_kernel_2.png
	// figure1.png
	// green.png
	// red.png
}
