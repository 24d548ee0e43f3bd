package dataset

func init() {
	Register(&Info{
		Name: "cifar10", TrainSize: 50000, TestSize: 10000, C: 3, H: 32, W: 32,
		Classes: []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"},
		Load:    nil, // set by the cifar10 reader
	})
}
