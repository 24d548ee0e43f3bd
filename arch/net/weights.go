package net

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"reflect"

	"convlab/arch"
	"convlab/internal/atomicfile"
)

// WeightsMagic opens every weights file.
const WeightsMagic = "CONVLAB1\n"

// maxHeader bounds the JSON header of a weights file.
const maxHeader = 1 << 20

// WeightsHeader is the JSON header of a weights file.
//
// A weights file (.weights) is:
//
//	the 9 bytes "CONVLAB1\n"
//	a little-endian uint32: the length L of the header
//	L bytes of JSON: {"arch": ..., "input": {"c","h","w"}, "dtype": "float32",
//	                  "tensors": [{"name": "conv2d/kernel", "shape": [16,3,3,3]}, ...]}
//	every tensor's values in header order, as little-endian IEEE float32,
//	row-major (convolution kernels F×C×K×K, dense kernels inputs×units)
//
// and nothing after. The arch is the one the weights belong to, with its
// l1 applied (loading into another architecture is refused).
type WeightsHeader struct {
	Arch    arch.Arch     `json:"arch"`
	Input   ShapeJSON     `json:"input"`
	Dtype   string        `json:"dtype"`
	Tensors []TensorEntry `json:"tensors"`
}

// ShapeJSON is an image shape in a weights file.
type ShapeJSON struct {
	C int `json:"c"`
	H int `json:"h"`
	W int `json:"w"`
}

// TensorEntry names one tensor of a weights file.
type TensorEntry struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

// Weights is a parsed weights file.
type Weights struct {
	Header WeightsHeader
	Values [][]float32 // one per header tensor
}

// MarshalWeights encodes the model's weights in the weights file format.
func (m *Model) MarshalWeights() ([]byte, error) {
	h := WeightsHeader{Arch: m.arch, Input: ShapeJSON{m.in.C, m.in.H, m.in.W}, Dtype: "float32"}
	n := 0
	for _, p := range m.params {
		h.Tensors = append(h.Tensors, TensorEntry{Name: p.Name, Shape: p.Shape})
		n += p.Size()
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("encode weights header: %w", err)
	}
	var buf bytes.Buffer
	buf.Grow(len(WeightsMagic) + 4 + len(hb) + 4*n)
	buf.WriteString(WeightsMagic)
	var l [4]byte
	binary.LittleEndian.PutUint32(l[:], uint32(len(hb)))
	buf.Write(l[:])
	buf.Write(hb)
	var b [4]byte
	for _, p := range m.params {
		for _, v := range p.Float32s() {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
			buf.Write(b[:])
		}
	}
	return buf.Bytes(), nil
}

// Save writes the weights file atomically (a temporary file in the same
// directory, then a rename).
func (m *Model) Save(path string) error {
	b, err := m.MarshalWeights()
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, b); err != nil {
		return fmt.Errorf("save weights: %w", err)
	}
	return nil
}

// ParseWeights decodes a weights file read from name (named in errors).
func ParseWeights(name string, b []byte) (*Weights, error) {
	rest, ok := bytes.CutPrefix(b, []byte(WeightsMagic))
	if !ok {
		return nil, fmt.Errorf("%s: not a convlab weights file (it does not start with %q)", name, WeightsMagic[:len(WeightsMagic)-1])
	}
	if len(rest) < 4 {
		return nil, fmt.Errorf("%s: weights file ends inside its header length (truncated)", name)
	}
	hl := binary.LittleEndian.Uint32(rest)
	rest = rest[4:]
	if hl > maxHeader || int(hl) > len(rest) {
		return nil, fmt.Errorf("%s: weights header length %d exceeds the %d bytes that follow (or the %d limit); the file is damaged", name, hl, len(rest), maxHeader)
	}
	dec := json.NewDecoder(bytes.NewReader(rest[:hl]))
	dec.DisallowUnknownFields()
	w := &Weights{}
	if err := dec.Decode(&w.Header); err != nil {
		return nil, fmt.Errorf("%s: weights header: %w", name, err)
	}
	if w.Header.Dtype != "float32" {
		return nil, fmt.Errorf("%s: weights dtype %q; only float32 is supported", name, w.Header.Dtype)
	}
	data := rest[hl:]
	total := 0
	for i, t := range w.Header.Tensors {
		n := 1
		for _, d := range t.Shape {
			if d < 1 || d > 1<<28 || n > (1<<28)/d {
				return nil, fmt.Errorf("%s: tensor %d (%s) has shape %v; every dimension must be at least 1 and the size at most 2^28", name, i, t.Name, t.Shape)
			}
			n *= d
		}
		total += n
		if total > len(data)/4 {
			return nil, fmt.Errorf("%s: tensor %d (%s) ends past the end of the file: truncated or damaged", name, i, t.Name)
		}
	}
	if len(data) != 4*total {
		return nil, fmt.Errorf("%s: %d bytes of weights; the header's tensors need %d", name, len(data), 4*total)
	}
	for _, t := range w.Header.Tensors {
		n := 1
		for _, d := range t.Shape {
			n *= d
		}
		vals := make([]float32, n)
		for j := range vals {
			vals[j] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*j:]))
		}
		data = data[4*n:]
		w.Values = append(w.Values, vals)
	}
	return w, nil
}

// Load reads a weights file and builds the model it belongs to, with the
// default batch size and the given options (the seed does not matter: the
// weights are replaced).
func Load(path string, opts ...Option) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load weights: %w", err)
	}
	w, err := ParseWeights(path, b)
	if err != nil {
		return nil, err
	}
	in := arch.Shape{C: w.Header.Input.C, H: w.Header.Input.H, W: w.Header.Input.W}
	m, err := Build(w.Header.Arch, in, DefaultBatch, opts...)
	if err != nil {
		return nil, fmt.Errorf("load weights %s: %w", path, err)
	}
	if err := m.SetWeights(path, w); err != nil {
		return nil, err
	}
	return m, nil
}

// SetWeights copies parsed weights into the model after checking that they
// belong to its architecture; name is used in errors.
func (m *Model) SetWeights(name string, w *Weights) error {
	if !sameLayers(w.Header.Arch, m.arch) {
		return fmt.Errorf("%s: the weights belong to architecture %q with other layers than the model's %q; "+
			"use the experiment file (or preset) the weights were trained with", name, w.Header.Arch.Name, m.arch.Name)
	}
	if in := (arch.Shape{C: w.Header.Input.C, H: w.Header.Input.H, W: w.Header.Input.W}); in != m.in {
		return fmt.Errorf("%s: the weights are for %dx%dx%d inputs, the model takes %dx%dx%d", name, in.C, in.H, in.W, m.in.C, m.in.H, m.in.W)
	}
	if len(w.Header.Tensors) != len(m.params) {
		return fmt.Errorf("%s: %d tensors, the model has %d", name, len(w.Header.Tensors), len(m.params))
	}
	for i, t := range w.Header.Tensors {
		p := m.params[i]
		if t.Name != p.Name || !reflect.DeepEqual(t.Shape, p.Shape) {
			return fmt.Errorf("%s: tensor %d is %s %v, the model expects %s %v", name, i, t.Name, t.Shape, p.Name, p.Shape)
		}
	}
	for i, p := range m.params {
		p.setFloat32s(w.Values[i])
	}
	return nil
}

// sameLayers reports whether two architectures have the same layers once
// Keras' defaults are filled in (the names may differ).
func sameLayers(a, b arch.Arch) bool {
	if len(a.Layers) != len(b.Layers) {
		return false
	}
	for i := range a.Layers {
		if a.Layers[i].Normalize() != b.Layers[i].Normalize() {
			return false
		}
	}
	return true
}
