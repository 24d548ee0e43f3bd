package dataset

import (
	"bytes"
	"fmt"
	"path/filepath"
)

func ExampleDecodeCIFAR10() {
	// One record: label 3 (cat), then the red, green and blue planes.
	rec := make([]byte, 3073)
	rec[0] = 3
	rec[1] = 200        // red (0,0)
	rec[1+1024+33] = 90 // green (1,1)
	s, err := DecodeCIFAR10(bytes.NewReader(rec), int64(len(rec)), "one.bin")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.N, s.Labels, s.Classes[s.Labels[0]], s.Pixels[0], s.Pixels[1024+33])

	_, err = DecodeCIFAR10(bytes.NewReader(rec[:3000]), 3000, "short.bin")
	fmt.Println(err)
	// Output:
	// 1 [3] cat 200 90
	// read CIFAR-10: short.bin is 3000 bytes, not a whole number of 3073-byte records (0 records and 3000 bytes left over)
}

func ExampleDecodeIDX() {
	// An IDX file of 2x3 unsigned bytes: magic 0x00000802, dimensions 2 and 3.
	data := []byte{0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6}
	m, err := DecodeIDX(bytes.NewReader(data), "tiny-idx2-ubyte", int64(len(data)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Dims, m.Data)
	// Output: [2 3] [1 2 3 4 5 6]
}

func ExampleLoad() {
	train, test, err := Load("fashion-mnist", filepath.Join("testdata", "fashion"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(train.N, test.N, train.C, train.H, train.W, train.Classes[train.Labels[0]])
	// Output: 3 2 1 28 28 Ankle boot
}
