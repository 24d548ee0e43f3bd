package dataset

func init() {
	Register(&Info{
		Name: "fashion-mnist", TrainSize: 60000, TestSize: 10000, C: 1, H: 28, W: 28,
		Classes: []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"},
		Load:    nil, // set by the fashion-mnist reader
	})
}
