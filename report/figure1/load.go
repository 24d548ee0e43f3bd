package figure1

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"convlab/arch/convolve"
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
	Kernel convolve.Kernel
}

// Pos is a position in an experiment file, 1-based.
type Pos struct {
	Line, Col int
}

var keys = []string{"kind", "name", "image", "channel", "channels", "kernels"}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// Load reads and validates a convolution experiment file. Problems are
// reported as "FILE:LINE:COL: message", all of them at once.
func Load(path string) (*Experiment, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read experiment file: %w", err)
	}
	return Parse(data, path)
}

// Parse decodes a convolution experiment from data; path names the file in
// error messages and anchors a relative image path.
func Parse(data []byte, path string) (*Experiment, error) {
	p := &parser{path: path}
	exp := p.parse(data)
	if len(p.errs) > 0 {
		sort.SliceStable(p.errs, func(i, j int) bool {
			a, b := p.errs[i].pos, p.errs[j].pos
			return a.Line < b.Line || (a.Line == b.Line && a.Col < b.Col)
		})
		errs := make([]error, len(p.errs))
		for i, e := range p.errs {
			errs[i] = e.err
		}
		return nil, errors.Join(errs...)
	}
	return exp, nil
}

type parser struct {
	path string
	errs []posError
}

// posError is one problem and where it is, for sorting.
type posError struct {
	pos Pos
	err error
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if n == nil || n.Line == 0 {
		p.errs = append(p.errs, posError{err: fmt.Errorf("%s: %s", p.path, msg)})
		return
	}
	p.errs = append(p.errs, posError{Pos{n.Line, n.Column}, fmt.Errorf("%s:%d:%d: %s", p.path, n.Line, n.Column, msg)})
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (p *parser) parse(data []byte) *Experiment {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.errorf(nil, "empty file: want a mapping with kind: %s, name, image, channel and kernels", Kind)
			return nil
		}
		p.yamlError(err)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		p.errorf(&extra, "a second YAML document (after ---): an experiment file holds one")
		return nil
	} else if !errors.Is(err, io.EOF) {
		p.yamlError(err)
		return nil
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			p.errorf(nil, "empty file: want a mapping with kind: %s, name, image, channel and kernels", Kind)
			return nil
		}
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		p.errorf(root, "the file must be a mapping of keys (kind, name, image, channel, kernels), got %s", describe(root))
		return nil
	}
	exp := &Experiment{Path: p.path}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, "a key must be a plain name, got %s", describe(k))
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			p.errorf(k, "duplicate key %q (first given on line %d)", k.Value, prev.Line)
			continue
		}
		seen[k.Value] = k
		if v.Kind == yaml.AliasNode {
			p.errorf(v, "%s: aliases (*name) are not supported; write the value out", k.Value)
			continue
		}
		switch k.Value {
		case "kind":
			if s, ok := p.str(k.Value, v); ok && s != Kind {
				p.errorf(v, "kind must be %s for this file, got %q", Kind, s)
			}
		case "name":
			if s, ok := p.str(k.Value, v); ok {
				if !nameRE.MatchString(s) {
					p.errorf(v, "name %q is not usable as a directory name: use letters, digits, '.', '_' and '-', starting with a letter or digit", s)
				} else {
					exp.Name = s
				}
			}
		case "image":
			if s, ok := p.str(k.Value, v); ok {
				exp.ImagePos = Pos{v.Line, v.Column}
				switch strings.ToLower(filepath.Ext(s)) {
				case ".png", ".jpg", ".jpeg":
					if !filepath.IsAbs(s) {
						s = filepath.Join(filepath.Dir(p.path), s)
					}
					exp.Image = s
				default:
					p.errorf(v, "image %q: want a .png, .jpg or .jpeg file", s)
				}
			}
		case "channel":
			if s, ok := p.str(k.Value, v); ok && p.channel(v, s) {
				exp.Channels = []string{s}
			}
		case "channels":
			exp.Channels = p.channels(v)
		case "kernels":
			exp.Kernels = p.kernels(v)
		default:
			p.errorf(k, "unknown key %q%s; valid keys: %s", k.Value, didYouMean(k.Value, keys), strings.Join(keys, ", "))
		}
	}
	if _, ok := seen["kind"]; !ok {
		p.errorf(root, "missing kind: %s", Kind)
	}
	if _, ok := seen["image"]; !ok {
		p.errorf(root, "missing image: the photo to convolve, a PNG or JPEG path relative to this file")
	}
	if _, ok := seen["kernels"]; !ok {
		p.errorf(root, "missing kernels: a mapping from names to square kernels of odd size, e.g. kernel_1: [[0,-1,0],[-1,8,-1],[0,-1,0]]")
	}
	if c, ok := seen["channel"]; ok {
		if _, both := seen["channels"]; both {
			p.errorf(c, "give either channel or channels, not both")
		}
	}
	if _, ok := seen["name"]; !ok && len(p.errs) == 0 {
		base := strings.TrimSuffix(filepath.Base(p.path), filepath.Ext(p.path))
		if !nameRE.MatchString(base) {
			p.errorf(root, "missing name: the file name %q cannot serve as one; add name: with letters, digits, '.', '_' and '-'", base)
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

func (p *parser) yamlError(err error) {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		p.errs = append(p.errs, posError{Pos{line, 0}, fmt.Errorf("%s:%s: invalid YAML: %s", p.path, m[1], m[2])})
		return
	}
	p.errs = append(p.errs, posError{err: fmt.Errorf("%s: invalid YAML: %w", p.path, err)})
}

// str decodes a plain string scalar.
func (p *parser) str(key string, v *yaml.Node) (string, bool) {
	if v.Kind != yaml.ScalarNode || (v.Tag != "!!str" && v.Tag != "") {
		p.errorf(v, "%s must be a string, got %s", key, describe(v))
		return "", false
	}
	if v.Value == "" {
		p.errorf(v, "%s is empty", key)
		return "", false
	}
	return v.Value, true
}

func (p *parser) channel(v *yaml.Node, s string) bool {
	for _, c := range Channels {
		if s == c {
			return true
		}
	}
	p.errorf(v, "unknown channel %q%s; valid channels: %s", s, didYouMean(s, Channels), strings.Join(Channels, ", "))
	return false
}

func (p *parser) channels(v *yaml.Node) []string {
	if v.Kind != yaml.SequenceNode {
		p.errorf(v, "channels must be a list such as [red, blue], got %s", describe(v))
		return nil
	}
	if len(v.Content) == 0 {
		p.errorf(v, "channels is empty: name at least one of %s", strings.Join(Channels, ", "))
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, c := range v.Content {
		s, ok := p.str("a channel", c)
		if !ok || !p.channel(c, s) {
			continue
		}
		if seen[s] {
			p.errorf(c, "channel %s is listed twice", s)
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

func (p *parser) kernels(v *yaml.Node) []NamedKernel {
	if v.Kind != yaml.MappingNode {
		p.errorf(v, "kernels must be a mapping from names to kernels, got %s", describe(v))
		return nil
	}
	if len(v.Content) == 0 {
		p.errorf(v, "kernels is empty: give at least one, e.g. kernel_1: [[-1,-1,-1],[-1,8,-1],[-1,-1,-1]]")
		return nil
	}
	var out []NamedKernel
	seen := map[string]int{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		kn, kv := v.Content[i], v.Content[i+1]
		if kn.Kind != yaml.ScalarNode || kn.Value == "" {
			p.errorf(kn, "a kernel name must be a plain name, got %s", describe(kn))
			continue
		}
		name := kn.Value
		if !nameRE.MatchString(name) {
			p.errorf(kn, "kernel name %q is not usable in a file name: use letters, digits, '.', '_' and '-', starting with a letter or digit", name)
			continue
		}
		if line, dup := seen[name]; dup {
			p.errorf(kn, "duplicate kernel %q (first given on line %d)", name, line)
			continue
		}
		seen[name] = kn.Line
		if k, ok := p.kernel(name, kv); ok {
			out = append(out, NamedKernel{Name: name, Kernel: k})
		}
	}
	return out
}

// kernel decodes a list of rows of numbers and checks that it is square
// with an odd side.
func (p *parser) kernel(name string, v *yaml.Node) (convolve.Kernel, bool) {
	const shapeHint = "a square kernel of odd size, e.g. [[0,-1,0],[-1,8,-1],[0,-1,0]]"
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		p.errorf(v, "kernel %s: want %s, got %s", name, shapeHint, describe(v))
		return nil, false
	}
	n := len(v.Content)
	if n > MaxKernelSize {
		p.errorf(v, "kernel %s has %d rows: at most %d are allowed", name, n, MaxKernelSize)
		return nil, false
	}
	ok := true
	k := make(convolve.Kernel, n)
	for i, row := range v.Content {
		if row.Kind != yaml.SequenceNode {
			p.errorf(row, "kernel %s, row %d: want a list of %d numbers, got %s", name, i+1, n, describe(row))
			ok = false
			continue
		}
		k[i] = make([]float64, len(row.Content))
		for j, c := range row.Content {
			f, good := number(c)
			if !good {
				p.errorf(c, "kernel %s, row %d, column %d: want a finite number, got %s", name, i+1, j+1, describe(c))
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
		if w := len(row.Content); w != len(k[0]) {
			p.errorf(row, "kernel %s: row %d has %d values but row 1 has %d; want %s", name, i+2, w, len(k[0]), shapeHint)
			return nil, false
		}
	}
	if m := len(k[0]); m != n {
		p.errorf(v, "kernel %s is not square: it has %d rows of %d values; want %s", name, n, m, shapeHint)
		return nil, false
	}
	if n%2 == 0 {
		p.errorf(v, "kernel %s is %dx%d: its size must be odd (1x1, 3x3, 5x5, ...) so that it has a centre", name, n, n)
		return nil, false
	}
	return k, true
}

func number(n *yaml.Node) (float64, bool) {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		return 0, false
	}
	var f float64
	if n.Tag == "!!int" {
		var i int64
		if err := n.Decode(&i); err != nil {
			return 0, false
		}
		f = float64(i)
	} else {
		var err error
		if err = n.Decode(&f); err != nil {
			return 0, false
		}
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// describe names a node's type for error messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias (*" + n.Value + "); aliases are not supported"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "nothing (null)"
		case "!!int", "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		}
		return strconv.Quote(n.Value)
	}
	return "an empty value"
}

// didYouMean suggests the closest valid word when it is close enough to be
// a misspelling.
func didYouMean(s string, valid []string) string {
	if best := spec.Closest(s, valid); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}
