// Package arch describes convolutional network architectures: the layers,
// the study's presets, shape inference and Keras-compatible parameter counts.
// Graph construction and weights live in subpackages so that describing a
// network never requires building one.
package arch

import (
	"fmt"
	"sort"
	"strings"
)

// Layer kinds accepted in an architecture.
const (
	KindConv2D    = "conv2d"
	KindMaxPool2D = "maxpool2d"
	KindDropout   = "dropout"
	KindFlatten   = "flatten"
	KindDense     = "dense"
)

// Kinds lists every layer kind, for error messages.
var Kinds = []string{KindConv2D, KindMaxPool2D, KindDropout, KindFlatten, KindDense}

// kerasLayers maps each layer kind to the class Keras' model summary
// prints and the base of the automatic names Keras gives its layers.
var kerasLayers = map[string]struct{ class, name string }{
	KindConv2D:    {"Conv2D", "conv2d"},
	KindMaxPool2D: {"MaxPooling2D", "max_pooling2d"},
	KindDropout:   {"Dropout", "dropout"},
	KindFlatten:   {"Flatten", "flatten"},
	KindDense:     {"Dense", "dense"},
}

// Layer is one layer of a network. Only the fields of its Kind are used;
// the zero values of the others are ignored.
type Layer struct {
	Kind string `yaml:"kind" json:"kind"`

	// Conv2D
	Filters int    `yaml:"filters,omitempty" json:"filters,omitempty"`
	Kernel  int    `yaml:"kernel,omitempty" json:"kernel,omitempty"`
	Stride  int    `yaml:"stride,omitempty" json:"stride,omitempty"`
	Padding string `yaml:"padding,omitempty" json:"padding,omitempty"` // "same" or "valid"

	// MaxPool2D: Pool is the square window; the stride equals the window,
	// as in Keras' default.
	Pool int `yaml:"pool,omitempty" json:"pool,omitempty"`

	// Dropout
	Rate float64 `yaml:"rate,omitempty" json:"rate,omitempty"`

	// Dense
	Units int     `yaml:"units,omitempty" json:"units,omitempty"`
	L1    float64 `yaml:"l1,omitempty" json:"l1,omitempty"`
	L2    float64 `yaml:"l2,omitempty" json:"l2,omitempty"`

	// Conv2D and Dense: "relu", "softmax" or "none".
	Activation string `yaml:"activation,omitempty" json:"activation,omitempty"`
}

// Activations accepted by Conv2D and Dense layers.
const (
	ActReLU    = "relu"
	ActSoftmax = "softmax"
	ActNone    = "none"
)

// Arch is a named list of layers applied to an input of shape Input.
type Arch struct {
	Name   string  `yaml:"name" json:"name"`
	Layers []Layer `yaml:"layers" json:"layers"`
}

// Shape is a channels-first image shape (C, H, W), or a vector of length C
// when H and W are zero (after Flatten or Dense).
type Shape struct {
	C, H, W int
}

// IsVector reports whether the shape is flat.
func (s Shape) IsVector() bool { return s.H == 0 && s.W == 0 }

// Size is the number of values in one example of this shape.
func (s Shape) Size() int {
	if s.IsVector() {
		return s.C
	}
	return s.C * s.H * s.W
}

// String formats the shape as Keras prints it (channels last, batch None).
func (s Shape) String() string {
	if s.IsVector() {
		return fmt.Sprintf("(None, %d)", s.C)
	}
	return fmt.Sprintf("(None, %d, %d, %d)", s.H, s.W, s.C)
}

// Normalize fills the defaults Keras would use: stride 1, 'same' padding,
// ReLU on convolutions, a 2x2 pool, no activation on a dense layer.
func (l Layer) Normalize() Layer {
	switch l.Kind {
	case KindConv2D:
		if l.Stride == 0 {
			l.Stride = 1
		}
		if l.Padding == "" {
			l.Padding = "same"
		}
		if l.Activation == "" {
			l.Activation = ActReLU
		}
	case KindMaxPool2D:
		if l.Pool == 0 {
			l.Pool = 2
		}
	case KindDense:
		if l.Activation == "" {
			l.Activation = ActNone
		}
	}
	return l
}

// LayerInfo is one row of a model summary.
type LayerInfo struct {
	Name   string // Keras' automatic name: conv2d, conv2d_1, max_pooling2d, ...
	Class  string // Keras' class: Conv2D, MaxPooling2D, Dropout, Flatten, Dense
	Layer  Layer  // normalized
	Input  Shape
	Output Shape
	Params int
}

// LayerError is a layer that cannot be built; Index is zero-based.
type LayerError struct {
	Index int
	Kind  string
	Msg   string
}

func (e *LayerError) Error() string {
	return fmt.Sprintf("layer %d (%s): %s", e.Index+1, e.Kind, e.Msg)
}

// Infer checks every layer against the shape it receives and returns each
// layer's output shape and parameter count. The error is a *LayerError
// naming the first impossible layer.
func (a Arch) Infer(input Shape) ([]LayerInfo, error) {
	infos := make([]LayerInfo, 0, len(a.Layers))
	counts := map[string]int{}
	cur := input
	for i, raw := range a.Layers {
		l := raw.Normalize()
		fail := func(format string, args ...any) ([]LayerInfo, error) {
			return nil, &LayerError{Index: i, Kind: l.Kind, Msg: fmt.Sprintf(format, args...)}
		}
		var out Shape
		params := 0
		switch l.Kind {
		case KindConv2D:
			if cur.IsVector() {
				return fail("needs an image input but receives a flat vector of %d values", cur.C)
			}
			if l.Filters < 1 {
				return fail("filters must be at least 1, got %d", l.Filters)
			}
			if l.Kernel < 1 || l.Kernel%2 == 0 {
				return fail("kernel must be an odd number >= 1, got %d", l.Kernel)
			}
			if l.Stride < 1 {
				return fail("stride must be at least 1, got %d", l.Stride)
			}
			h, w, err := convOut(cur.H, cur.W, l.Kernel, l.Stride, l.Padding)
			if err != nil {
				return fail("%v", err)
			}
			if l.Activation != ActReLU && l.Activation != ActNone {
				return fail("activation must be relu or none, got %q", l.Activation)
			}
			out = Shape{C: l.Filters, H: h, W: w}
			params = l.Kernel*l.Kernel*cur.C*l.Filters + l.Filters
		case KindMaxPool2D:
			if cur.IsVector() {
				return fail("needs an image input but receives a flat vector of %d values", cur.C)
			}
			if l.Pool < 1 {
				return fail("pool must be at least 1, got %d", l.Pool)
			}
			if cur.H < l.Pool || cur.W < l.Pool {
				return fail("pool %dx%d is larger than its %dx%d input", l.Pool, l.Pool, cur.H, cur.W)
			}
			out = Shape{C: cur.C, H: cur.H / l.Pool, W: cur.W / l.Pool}
		case KindDropout:
			if l.Rate < 0 || l.Rate >= 1 {
				return fail("rate must be in [0, 1), got %g", l.Rate)
			}
			out = cur
		case KindFlatten:
			out = Shape{C: cur.Size()}
		case KindDense:
			if !cur.IsVector() {
				return fail("needs a flat input; add a flatten layer before it (input is %dx%dx%d)", cur.H, cur.W, cur.C)
			}
			if l.Units < 1 {
				return fail("units must be at least 1, got %d", l.Units)
			}
			if l.L1 < 0 || l.L2 < 0 {
				return fail("l1 and l2 must be >= 0")
			}
			if l.Activation != ActReLU && l.Activation != ActNone && l.Activation != ActSoftmax {
				return fail("activation must be relu, softmax or none, got %q", l.Activation)
			}
			out = Shape{C: l.Units}
			params = cur.C*l.Units + l.Units
		default:
			return fail("unknown layer kind; valid kinds: %s", strings.Join(Kinds, ", "))
		}
		k := kerasLayers[l.Kind]
		name := k.name
		if n := counts[k.name]; n > 0 {
			name = fmt.Sprintf("%s_%d", k.name, n)
		}
		counts[k.name]++
		infos = append(infos, LayerInfo{Name: name, Class: k.class, Layer: l, Input: cur, Output: out, Params: params})
		cur = out
	}
	return infos, nil
}

func convOut(h, w, k, stride int, padding string) (int, int, error) {
	switch padding {
	case "same":
		return (h + stride - 1) / stride, (w + stride - 1) / stride, nil
	case "valid":
		if h < k || w < k {
			return 0, 0, fmt.Errorf("kernel %dx%d is larger than its %dx%d input with valid padding", k, k, h, w)
		}
		return (h-k)/stride + 1, (w-k)/stride + 1, nil
	default:
		return 0, 0, fmt.Errorf("padding must be same or valid, got %q", padding)
	}
}

// SamePadding returns the (before, after) zero padding Keras/TensorFlow
// apply for 'same' padding along one axis: the extra pixel, when the total
// is odd, goes after.
func SamePadding(in, k, stride int) (before, after int) {
	out := (in + stride - 1) / stride
	total := (out-1)*stride + k - in
	if total < 0 {
		total = 0
	}
	return total / 2, total - total/2
}

// ParamCount is the total number of trainable parameters.
func (a Arch) ParamCount(input Shape) (int, error) {
	infos, err := a.Infer(input)
	if err != nil {
		return 0, err
	}
	return TotalParams(infos), nil
}

// TotalParams is the sum of the layers' parameter counts.
func TotalParams(infos []LayerInfo) int {
	total := 0
	for _, li := range infos {
		total += li.Params
	}
	return total
}

// WithL1 returns a copy whose last dense layer carries the given L1 penalty,
// which is how the study's l1 setting reaches the network.
func (a Arch) WithL1(l1 float64) Arch {
	out := Arch{Name: a.Name, Layers: append([]Layer(nil), a.Layers...)}
	for i := len(out.Layers) - 1; i >= 0; i-- {
		if out.Layers[i].Kind == KindDense {
			out.Layers[i].L1 = l1
			break
		}
	}
	return out
}

func conv(filters, stride int) Layer {
	return Layer{Kind: KindConv2D, Filters: filters, Kernel: 3, Stride: stride, Padding: "same", Activation: ActReLU}
}

var presets = map[string]func() Arch{
	"strided": func() Arch {
		return Arch{Name: "strided", Layers: []Layer{
			conv(16, 1), conv(16, 2), conv(32, 1), conv(32, 2),
			{Kind: KindDropout, Rate: 0.5}, {Kind: KindFlatten},
			{Kind: KindDense, Units: 10, Activation: ActSoftmax},
		}}
	},
	"maxpool": func() Arch {
		return Arch{Name: "maxpool", Layers: []Layer{
			conv(16, 1), conv(16, 1), {Kind: KindMaxPool2D, Pool: 2},
			conv(32, 1), conv(32, 1), {Kind: KindMaxPool2D, Pool: 2},
			{Kind: KindDropout, Rate: 0.5}, {Kind: KindFlatten},
			{Kind: KindDense, Units: 10, Activation: ActSoftmax},
		}}
	},
	"deeper": func() Arch {
		return Arch{Name: "deeper", Layers: []Layer{
			conv(8, 1), conv(8, 2), conv(16, 1), conv(16, 2), conv(32, 1), conv(32, 2),
			{Kind: KindDropout, Rate: 0.5}, {Kind: KindFlatten},
			{Kind: KindDense, Units: 10, Activation: ActSoftmax},
		}}
	},
}

// PresetNames lists the built-in architectures in sorted order.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Preset returns a built-in architecture of the study by name.
func Preset(name string) (Arch, error) {
	f, ok := presets[name]
	if !ok {
		return Arch{}, fmt.Errorf("unknown architecture preset %q; valid presets: %s", name, strings.Join(PresetNames(), ", "))
	}
	return f(), nil
}
