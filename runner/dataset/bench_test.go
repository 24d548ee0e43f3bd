package dataset

import (
	"os"
	"testing"
)

func BenchmarkReadCIFAR10Subset(b *testing.B) {
	dir := os.Getenv("CIFAR10_DIR")
	if dir == "" {
		b.Skip("CIFAR10_DIR is not set")
	}
	for b.Loop() {
		if _, _, err := ReadCIFAR10(dir); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPrepare5000(b *testing.B) {
	dir := os.Getenv("CIFAR10_DIR")
	if dir == "" {
		b.Skip("CIFAR10_DIR is not set")
	}
	train, test, err := ReadCIFAR10(dir)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Prepare(train, test, 5000, 0.1); err != nil {
			b.Fatal(err)
		}
	}
}
