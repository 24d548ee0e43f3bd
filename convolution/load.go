package convolution

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"convlab/internal/yamlfile"
	"convlab/runner/spec"
)

// Kind is the value of the kind: key of a convolution experiment file.
const Kind = spec.KindConvolution

// Channel names, in the order of an RGB pixel.
var Channels = []string{"red", "green", "blue"}

// DefaultChannel is convolved when the file names none, as in the study.
const DefaultChannel = "blue"

// MaxKernelSize bounds a kernel's side, which keeps a typo such as a
// 999-wide row from turning into minutes of work.
const MaxKernelSize = 99

// Experiment is a decoded convolution file.
type Experiment struct {
	// Path is the file the experiment was read from.
	Path string
	// Name names the output directory, outRoot/<Name>/.
	Name string
	// Image is the photo's path: relative paths in the file are resolved
	// against the file's directory. ImagePos is where the file gives it.
	Image    string
	ImagePos Pos
	// Channels are the channels to convolve (red, green or blue), in file
	// order, without repeats.
	Channels []string
	// Kernels in file order.
	Kernels []NamedKernel
}

// NamedKernel is one entry of the kernels: mapping.
type NamedKernel struct {
	Name   string
	Kernel Kernel
}

// Pos is a position in an experiment file, 1-based.
type Pos struct {
	Line, Col int
}

var keys = []string{"kind", "name", "image", "channel", "channels", "kernels"}

// emptyFile ends the message for an empty file.
var emptyFile = "a convolution file is a YAML mapping with kind: " + Kind + ", name, image, channel and kernels"

// Load reads and validates a convolution experiment file. Problems are
// reported as a yamlfile.Errors of "FILE:LINE:COL: field: message", all of
// them at once.
func Load(path string) (*Experiment, error) {
	data, err := yamlfile.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, path)
}

// Parse decodes a convolution experiment from data; path names the file in
// error messages and anchors a relative image path. It uses the decoder of
// training files (internal/yamlfile), so aliases, merge keys and every generic
// message work the same in both kinds.
func Parse(data []byte, path string) (*Experiment, error) {
	p := &parser{path: path, d: &yamlfile.Decoder{File: path, Empty: emptyFile}}
	exp := p.parse(data)
	if err := p.d.Err(); err != nil {
		return nil, err
	}
	return exp, nil
}

type parser struct {
	path string
	d    *yamlfile.Decoder
}

func (p *parser) parse(data []byte) *Experiment {
	d := p.d
	root := d.Document(data)
	if root == nil {
		return nil
	}
	entries, ok := d.Mapping(root, "", "a mapping of keys (kind, name, image, channel, kernels)")
	if !ok {
		return nil
	}
	exp := &Experiment{Path: p.path}
	seen := map[string]*yaml.Node{}
	for _, e := range entries {
		seen[e.Name] = e.Key
		v := e.Value
		switch e.Name {
		case "kind":
			if s, ok := d.Text(v, e.Name); ok && s != Kind {
				d.Errorf(v, e.Name, "must be %s for this file, got %s", Kind, yamlfile.Describe(v))
			}
		case "name":
			if s, ok := p.text(v, e.Name); ok {
				if !yamlfile.IsSafeName(s) {
					d.Errorf(v, e.Name, "%s is not usable as a results directory name; valid: %s", yamlfile.Quote(s), yamlfile.SafeNameRule)
				} else {
					exp.Name = s
				}
			}
		case "image":
			if s, ok := p.text(v, e.Name); ok {
				exp.ImagePos = Pos{v.Line, v.Column}
				switch strings.ToLower(filepath.Ext(s)) {
				case ".png", ".jpg", ".jpeg":
					if !filepath.IsAbs(s) {
						s = filepath.Join(filepath.Dir(p.path), s)
					}
					exp.Image = s
				default:
					d.Errorf(v, e.Name, "want a .png, .jpg or .jpeg file, got %s", yamlfile.Quote(s))
				}
			}
		case "channel":
			if s, ok := p.channel(v, e.Name); ok {
				exp.Channels = []string{s}
			}
		case "channels":
			exp.Channels = p.channels(v)
		case "kernels":
			exp.Kernels = p.kernels(v)
		default:
			d.Unknown(e.Key, e.Name, "key", e.Name, keys)
		}
	}
	if _, ok := seen["kind"]; !ok {
		d.Errorf(root, "", "missing kind: %s", Kind)
	}
	if _, ok := seen["image"]; !ok {
		d.Errorf(root, "", "missing image: the photo to convolve, a PNG or JPEG path relative to this file")
	}
	if _, ok := seen["kernels"]; !ok {
		d.Errorf(root, "", "missing kernels: a mapping from names to square kernels of odd size, e.g. kernel_1: [[0,-1,0],[-1,8,-1],[0,-1,0]]")
	}
	if c, ok := seen["channel"]; ok {
		if _, both := seen["channels"]; both {
			d.Errorf(c, "", "give either channel or channels, not both")
		}
	}
	if _, ok := seen["name"]; !ok && d.Err() == nil {
		base := strings.TrimSuffix(filepath.Base(p.path), filepath.Ext(p.path))
		if !yamlfile.IsSafeName(base) {
			d.Errorf(root, "", "missing name: the file name %s cannot serve as one; add name: with %s", yamlfile.Quote(base), yamlfile.SafeNameRule)
		}
		exp.Name = base
	}
	_, hasCh := seen["channel"]
	_, hasChs := seen["channels"]
	if !hasCh && !hasChs {
		exp.Channels = []string{DefaultChannel}
	}
	return exp
}

// text decodes a string scalar that must not be empty.
func (p *parser) text(v *yaml.Node, field string) (string, bool) {
	s, ok := p.d.Text(v, field)
	if ok && s == "" {
		p.d.Errorf(v, field, "must not be empty")
		return "", false
	}
	return s, ok
}

// channel decodes one channel name.
func (p *parser) channel(v *yaml.Node, field string) (string, bool) {
	s, ok := p.text(v, field)
	if !ok {
		return "", false
	}
	if !slices.Contains(Channels, s) {
		p.d.Unknown(v, field, "channel", s, Channels)
		return "", false
	}
	return s, true
}

func (p *parser) channels(v *yaml.Node) []string {
	items, ok := p.d.List(v, "channels", "a list such as [red, blue]")
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.d.Errorf(v, "channels", "empty list: name at least one of %s", strings.Join(Channels, ", "))
		return nil
	}
	var out []string
	for i, c := range items {
		s, ok := p.channel(c, fmt.Sprintf("channels[%d]", i))
		if !ok {
			continue
		}
		if slices.Contains(out, s) {
			p.d.Errorf(c, "", "channel %s is listed twice", s)
			continue
		}
		out = append(out, s)
	}
	return out
}

func (p *parser) kernels(v *yaml.Node) []NamedKernel {
	entries, ok := p.d.Mapping(v, "kernels", "a mapping from names to kernels")
	if !ok {
		return nil
	}
	if len(entries) == 0 {
		p.d.Errorf(v, "kernels", "empty mapping: give at least one kernel, e.g. kernel_1: [[-1,-1,-1],[-1,8,-1],[-1,-1,-1]]")
		return nil
	}
	var out []NamedKernel
	for _, e := range entries {
		if !yamlfile.IsSafeName(e.Name) {
			p.d.Errorf(e.Key, "kernels", "%s is not usable as a kernel name (it names the kernel's PNG file); valid: %s", yamlfile.Quote(e.Name), yamlfile.SafeNameRule)
			continue
		}
		if k, ok := p.kernel(e.Name, e.Value); ok {
			out = append(out, NamedKernel{Name: e.Name, Kernel: k})
		}
	}
	return out
}

// kernel decodes a list of rows of numbers and checks that it is square
// with an odd side.
func (p *parser) kernel(name string, v *yaml.Node) (Kernel, bool) {
	const shapeHint = "a square kernel of odd size, e.g. [[0,-1,0],[-1,8,-1],[0,-1,0]]"
	field := "kernels." + name
	v = yamlfile.Deref(v)
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		p.d.Errorf(v, "", "kernel %s: want %s, got %s", name, shapeHint, yamlfile.Describe(v))
		return nil, false
	}
	n := len(v.Content)
	if n > MaxKernelSize {
		p.d.Errorf(v, "", "kernel %s has %d rows: at most %d are allowed", name, n, MaxKernelSize)
		return nil, false
	}
	ok := true
	k := make(Kernel, n)
	rows := make([][]*yaml.Node, n)
	for i, row := range v.Content {
		row = yamlfile.Deref(row)
		if row.Kind != yaml.SequenceNode {
			p.d.Errorf(row, "", "kernel %s, row %d: want a list of %d numbers, got %s", name, i+1, n, yamlfile.Describe(row))
			ok = false
			continue
		}
		rows[i] = row.Content
		k[i] = make([]float64, len(row.Content))
		for j, c := range row.Content {
			f, good := p.d.Number(c, fmt.Sprintf("%s[%d][%d]", field, i, j))
			if !good {
				ok = false
				continue
			}
			k[i][j] = f
		}
	}
	if !ok {
		return nil, false
	}
	for i, row := range v.Content[1:] {
		if w := len(rows[i+1]); w != len(k[0]) {
			p.d.Errorf(yamlfile.Deref(row), "", "kernel %s: row %d has %d values but row 1 has %d; want %s", name, i+2, w, len(k[0]), shapeHint)
			return nil, false
		}
	}
	if m := len(k[0]); m != n {
		p.d.Errorf(v, "", "kernel %s is not square: it has %d rows of %d values; want %s", name, n, m, shapeHint)
		return nil, false
	}
	if n%2 == 0 {
		p.d.Errorf(v, "", "kernel %s is %dx%d: its size must be odd (1x1, 3x3, 5x5, ...) so that it has a centre", name, n, n)
		return nil, false
	}
	return k, true
}
