package net_test

import (
	"fmt"

	"convlab/arch"
	"convlab/arch/net"
)

func ExampleBuild() {
	a, err := arch.Preset("strided")
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := net.Build(a.WithL1(1e-4), arch.Shape{C: 3, H: 32, W: 32}, net.DefaultBatch, net.WithSeed(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	// Two images, all grey; one step of Adam.
	x := make([]float32, 2*3*32*32)
	for i := range x {
		x[i] = 0.5
	}
	loss, _, err := m.TrainStep(x, []uint8{3, 7})
	if err != nil {
		fmt.Println(err)
		return
	}
	probs, err := m.Predict(x[:3*32*32], 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.ParamCount(), len(m.Params()), len(probs))
	fmt.Println(loss > 1 && loss < 4)
	// Output:
	// 37146 10 10
	// true
}
