package arch

import (
	"fmt"
	"strings"
	"testing"
)

func TestSummaryStrided(t *testing.T) {
	a, err := Preset("strided")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Summary(a, Shape{C: 3, H: 32, W: 32})
	if err != nil {
		t.Fatal(err)
	}
	// Keras' classic model.summary() layout; parameter counts by hand:
	// 3·3·3·16+16, 3·3·16·16+16, 3·3·16·32+32, 3·3·32·32+32, 8·8·32·10+10.
	line := strings.Repeat("_", 65)
	want := strings.Join([]string{
		`Model: "strided"`,
		line,
		"Layer (type)                 Output Shape              Param #",
		strings.Repeat("=", 65),
		"conv2d (Conv2D)              (None, 32, 32, 16)        448",
		line,
		"conv2d_1 (Conv2D)            (None, 16, 16, 16)        2320",
		line,
		"conv2d_2 (Conv2D)            (None, 16, 16, 32)        4640",
		line,
		"conv2d_3 (Conv2D)            (None, 8, 8, 32)          9248",
		line,
		"dropout (Dropout)            (None, 8, 8, 32)          0",
		line,
		"flatten (Flatten)            (None, 2048)              0",
		line,
		"dense (Dense)                (None, 10)                20490",
		strings.Repeat("=", 65),
		"Total params: 37,146",
		"Trainable params: 37,146",
		"Non-trainable params: 0",
		line,
		"",
	}, "\n")
	if got != want {
		t.Errorf("summary:\n%s\nwant:\n%s", got, want)
	}
}

func TestSummaryTotals(t *testing.T) {
	tests := []struct {
		preset string
		total  string
		rows   int
	}{
		{"strided", "37,146", 7},
		{"maxpool", "37,146", 9},
		{"deeper", "23,314", 9},
	}
	for _, tc := range tests {
		a, _ := Preset(tc.preset)
		s, err := Summary(a, Shape{C: 3, H: 32, W: 32})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(s, "Total params: "+tc.total+"\n") {
			t.Errorf("%s: no total %s in\n%s", tc.preset, tc.total, s)
		}
		if n := strings.Count(s, ")  "); n < tc.rows {
			t.Errorf("%s: %d layer rows; want %d", tc.preset, n, tc.rows)
		}
	}
}

func TestSummaryWrapsLongNames(t *testing.T) {
	a, _ := Preset("maxpool")
	s, err := Summary(a, Shape{C: 3, H: 32, W: 32})
	if err != nil {
		t.Fatal(err)
	}
	// A name longer than its column wraps at a space onto the next line,
	// as newer Keras does, instead of running into the output shape.
	if !strings.Contains(s, "\nmax_pooling2d_1              (None, 8, 8, 32)          0\n(MaxPooling2D)\n") {
		t.Errorf("second pooling row not as Keras prints it:\n%s", s)
	}
}

func TestInferKerasNames(t *testing.T) {
	a, _ := Preset("maxpool")
	infos, err := a.Infer(Shape{C: 3, H: 32, W: 32})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, li := range infos {
		got = append(got, li.Name+" "+li.Class)
	}
	want := []string{"conv2d Conv2D", "conv2d_1 Conv2D", "max_pooling2d MaxPooling2D", "conv2d_2 Conv2D", "conv2d_3 Conv2D",
		"max_pooling2d_1 MaxPooling2D", "dropout Dropout", "flatten Flatten", "dense Dense"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("names and classes:\n%s\nwant:\n%s", strings.Join(got, ", "), strings.Join(want, ", "))
	}
	n, err := a.ParamCount(Shape{C: 3, H: 32, W: 32})
	if err != nil || n != TotalParams(infos) || n != 37146 {
		t.Errorf("ParamCount %d (%v), TotalParams %d; want 37146", n, err, TotalParams(infos))
	}
}

func TestSummaryError(t *testing.T) {
	a := Arch{Name: "bad", Layers: []Layer{{Kind: KindDense, Units: 3}}}
	if _, err := Summary(a, Shape{C: 3, H: 4, W: 4}); err == nil || !strings.Contains(err.Error(), "flatten") {
		t.Errorf("error %v; want one suggesting a flatten layer", err)
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		s     string
		width int
		want  []string
	}{
		{"conv2d (Conv2D)", 28, []string{"conv2d (Conv2D)"}},
		{"max_pooling2d_1 (MaxPooling2D)", 28, []string{"max_pooling2d_1", "(MaxPooling2D)"}},
		{"abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"ab cdefgh", 4, []string{"ab", "cdef", "gh"}},
	}
	for _, tc := range tests {
		if got := wrap(tc.s, tc.width); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("wrap(%q, %d) = %q; want %q", tc.s, tc.width, got, tc.want)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 37146: "37,146", 1234567: "1,234,567", -4321: "-4,321"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q; want %q", n, got, want)
		}
	}
}

func ExampleSummary() {
	a := Arch{Name: "tiny", Layers: []Layer{
		{Kind: KindConv2D, Filters: 2, Kernel: 3},
		{Kind: KindFlatten},
		{Kind: KindDense, Units: 3, Activation: ActSoftmax},
	}}
	s, err := Summary(a, Shape{C: 1, H: 4, W: 4})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(s)
	// Output:
	// Model: "tiny"
	// _________________________________________________________________
	// Layer (type)                 Output Shape              Param #
	// =================================================================
	// conv2d (Conv2D)              (None, 4, 4, 2)           20
	// _________________________________________________________________
	// flatten (Flatten)            (None, 32)                0
	// _________________________________________________________________
	// dense (Dense)                (None, 3)                 99
	// =================================================================
	// Total params: 119
	// Trainable params: 119
	// Non-trainable params: 0
	// _________________________________________________________________
}
