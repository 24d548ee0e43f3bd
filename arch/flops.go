package arch

// FLOPs counts the floating-point operations of one image through the
// network's convolution and dense layers, a multiply-add counted as two:
// forward is inference; train is one training step, the forward pass plus
// the gradients of every layer's weights and of every layer's input but
// the first's (its input is data). Bias, activation, pooling, dropout and
// the optimiser, all linear in the activations or the weights, are left
// out.
func (a Arch) FLOPs(input Shape) (forward, train float64, err error) {
	infos, err := a.Infer(input)
	if err != nil {
		return 0, 0, err
	}
	first := true
	for _, li := range infos {
		var f float64
		switch li.Layer.Kind {
		case KindConv2D:
			k := li.Layer.Kernel
			f = 2 * float64(li.Output.Size()) * float64(li.Input.C*k*k)
		case KindDense:
			f = 2 * float64(li.Input.Size()) * float64(li.Output.Size())
		default:
			continue
		}
		forward += f
		train += 2 * f // forward and weight gradient
		if !first {
			train += f // input gradient
		}
		first = false
	}
	return forward, train, nil
}
