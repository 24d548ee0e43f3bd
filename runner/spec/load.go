package spec

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"convlab/arch"
	"convlab/internal/yamlfile"
	"convlab/runner/dataset"
)

// Keys accepted at each level of an experiment file, in the order the
// error messages list them.
var (
	topKeys   = []string{"kind", "name", "description", "defaults", "architectures", "sweeps", "figures"}
	runKeys   = []string{"dataset", "data_dir", "arch", "n", "l1", "epochs", "batch_size", "validation_split", "seed", "repeats", "optimizer"}
	gridKeys  = []string{"dataset", "arch", "n", "l1", "epochs", "batch_size", "validation_split", "seed"}
	sweepKeys = []string{"description", "feeds", "set", "grid", "reference"}
	// referenceKeys are the settings a sweep's reference: may name: a
	// cell is every setting but the seed.
	referenceKeys = []string{"dataset", "arch", "n", "l1", "epochs", "batch_size", "validation_split"}
	optimizerKeys = []string{"name", "learning_rate", "beta1", "beta2", "epsilon"}
	optimizers    = []string{"adam"}
	layerKeys     = map[string][]string{
		arch.KindConv2D:    {"filters", "kernel", "stride", "padding", "activation"},
		arch.KindMaxPool2D: {"pool"},
		arch.KindDropout:   {"rate"},
		arch.KindFlatten:   {},
		arch.KindDense:     {"units", "activation", "l1", "l2"},
	}
)

// The study's settings, used for whatever a file leaves out.
const (
	DefaultDataset         = "cifar10"
	DefaultArch            = "strided"
	DefaultN               = 5000
	DefaultL1              = 0.0001
	DefaultEpochs          = 20
	DefaultBatchSize       = 128
	DefaultValidationSplit = 0.1
	DefaultSeed            = 1
	// DefaultRepeats is one run per grid point: a single seed.
	DefaultRepeats = 1
	// MaxRepeats caps repeats: more seeds than this is surely a typo.
	MaxRepeats = 1000
)

// setting is one value of a run field and where it was written.
type setting struct {
	val   any        // string, int, int64, float64, or []optField for optimizer
	node  *yaml.Node // nil for the study's defaults
	field string     // where it was written, e.g. "sweeps.l1.grid.l1[2]"
	ok    bool       // false when the value was invalid (already reported)
}

// optField is one optimizer key written in defaults or set.
type optField struct {
	name string
	val  any
	node *yaml.Node
}

// config maps run keys to their settings.
type config map[string]setting

// overlay returns base with over's settings on top; optimizer overrides
// accumulate rather than replace.
func overlay(base, over config) config {
	out := make(config, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		if k == "optimizer" {
			prev := out[k]
			var fields []optField
			if f, ok := prev.val.([]optField); ok {
				fields = append(fields, f...)
			}
			if f, ok := v.val.([]optField); ok {
				fields = append(fields, f...)
			}
			out[k] = setting{val: fields, node: v.node, ok: v.ok && prev.ok}
			continue
		}
		out[k] = v
	}
	return out
}

func studyDefaults() config {
	return config{
		"dataset":          {val: DefaultDataset, ok: true},
		"arch":             {val: DefaultArch, ok: true},
		"n":                {val: DefaultN, ok: true},
		"l1":               {val: DefaultL1, ok: true},
		"epochs":           {val: DefaultEpochs, ok: true},
		"batch_size":       {val: DefaultBatchSize, ok: true},
		"validation_split": {val: DefaultValidationSplit, ok: true},
		"seed":             {val: int64(DefaultSeed), ok: true},
		"repeats":          {val: DefaultRepeats, ok: true},
		"optimizer":        {val: []optField(nil), ok: true},
	}
}

// userArch is an architecture declared under architectures:.
type userArch struct {
	arch   arch.Arch
	node   *yaml.Node   // the name key
	layers []*yaml.Node // one per layer
	ok     bool
}

// fileSpec is a parsed experiment file before expansion.
type fileSpec struct {
	d        *decoder
	path     string
	name     string
	nameNode *yaml.Node
	desc     string
	defaults config
	archs    map[string]*userArch
	sweeps   []*sweepSpec
	formats  []string // figures.formats
	// overrides are the command-line settings applied, as typed.
	overrides []string
}

type sweepSpec struct {
	name  string
	desc  string
	node  *yaml.Node
	feeds []string
	set   config
	axes  []axis
	// reference holds the settings of reference:, on top of the sweep's;
	// refNode is the reference: mapping (nil when the sweep names none).
	reference config
	refNode   *yaml.Node
}

type axis struct {
	name   string
	node   *yaml.Node
	values []setting
}

// Load reads, checks and expands the experiment files at paths into one
// plan. Every problem of every file is reported at once, as an Errors
// listing each with its FILE:LINE:COL; nothing is returned when any is
// found. A path given twice is read once.
func Load(paths ...string) (*Plan, error) { return LoadWith(Options{}, paths...) }

// Options change how Load reads experiment files.
type Options struct {
	// Overrides edit every file before it is checked (see Override).
	Overrides []Override
	// Data holds the contents of files already read, by the path given,
	// so that a caller that read a file (to find its kind, say) does not
	// read it again; the other files are read from disk.
	Data map[string][]byte
}

// LoadWith is Load with options.
func LoadWith(o Options, paths ...string) (*Plan, error) {
	if len(paths) == 0 {
		return nil, errNoFiles
	}
	specs, errs := parseFiles(o, paths)
	return build(paths, specs, errs)
}

// LoadEach is LoadWith that returns each file's own plan, in the order
// given (a path given twice once): its runs as if it were loaded alone.
// The files are read and parsed once, and checked together as LoadWith
// checks them; nothing is returned when any has a problem.
func LoadEach(o Options, paths ...string) ([]*Plan, error) {
	if len(paths) == 0 {
		return nil, errNoFiles
	}
	specs, errs := parseFiles(o, paths)
	if _, err := build(paths, specs, errs); err != nil {
		return nil, err
	}
	each := make([]*Plan, len(specs))
	for i, fs := range specs {
		var err error
		if each[i], err = build([]string{fs.path}, specs[i:i+1], nil); err != nil {
			return nil, err
		}
	}
	return each, nil
}

var errNoFiles = errors.New("no experiment files given; pass one or more YAML files such as experiments/report.yaml")

// parseFiles reads and parses the files at paths, each once, and returns
// their problems so far.
func parseFiles(o Options, paths []string) ([]*fileSpec, Errors) {
	var errs Errors
	var specs []*fileSpec
	seen := map[string]bool{}
	for _, p := range paths {
		key := p
		if abs, err := filepath.Abs(p); err == nil {
			key = abs
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		data, ok := o.Data[p]
		if !ok {
			var err error
			if data, err = os.ReadFile(p); err != nil {
				errs = append(errs, yamlfile.ReadError(p, err))
				continue
			}
		}
		f := parseFile(p, data, o)
		errs = append(errs, f.d.Errs...)
		specs = append(specs, f)
	}
	return specs, errs
}

// LoadData is Load for one file already in memory; path names it in errors
// and is the base of its relative data_dir.
func LoadData(path string, data []byte) (*Plan, error) {
	f := parseFile(path, data, Options{})
	return build([]string{path}, []*fileSpec{f}, f.d.Errs)
}

// parseFile decodes one file; its problems are in fs.d.Errs.
func parseFile(path string, data []byte, o Options) *fileSpec {
	d := newDecoder(path)
	fs := &fileSpec{d: d, path: path, archs: map[string]*userArch{}, overrides: Args(o.Overrides)}
	base := filepath.Base(path)
	fs.name = strings.TrimSuffix(base, filepath.Ext(base))
	if !yamlfile.IsSafeName(fs.name) {
		fs.name = sanitize(fs.name)
	}
	root := d.Document(data)
	if root == nil {
		return fs
	}
	kind, kindNode := d.kind(root)
	if len(d.Errs) > 0 {
		return fs
	}
	if kind == KindConvolution {
		d.Errorf(kindNode, "kind", "this is a convolution experiment (Part i); run it with `convlab conv %s`, not as a training experiment", path)
		return fs
	}
	root = d.resolveIncludes(root, path, nil)
	if d.applyOverrides(root, o.Overrides); len(d.Errs) > 0 {
		return fs
	}
	entries, _ := d.Mapping(root, "", "a mapping")
	byKey := map[string]entry{}
	for _, e := range entries {
		if !slices.Contains(topKeys, e.Name) {
			if slices.Contains(runKeys, e.Name) {
				d.Errorf(e.Key, e.Name, "a run setting belongs under defaults: (or a sweep's set:); valid here: %s", strings.Join(topKeys, ", "))
				continue
			}
			d.unknownKey(e, "", topKeys)
			continue
		}
		byKey[e.Name] = e
	}
	if e, ok := byKey["name"]; ok {
		if s, ok := d.Text(e.Value, "name"); ok {
			if yamlfile.IsSafeName(s) {
				fs.name, fs.nameNode = s, e.Value
			} else {
				d.Errorf(e.Value, "name", "%s is not usable as a results directory name; valid: %s", yamlfile.Quote(s), yamlfile.SafeNameRule)
			}
		}
	}
	if e, ok := byKey["description"]; ok {
		fs.desc, _ = d.Text(e.Value, "description")
	}
	if e, ok := byKey["figures"]; ok {
		fs.parseFigures(e.Value)
	}
	// Architectures first: defaults and sweeps refer to them by name.
	if e, ok := byKey["architectures"]; ok {
		fs.parseArchitectures(e.Value)
	}
	fs.defaults = config{}
	if e, ok := byKey["defaults"]; ok {
		fs.defaults = fs.parseSettings(e.Value, "defaults")
	}
	if e, ok := byKey["sweeps"]; ok {
		fs.parseSweeps(e.Value)
	} else {
		d.Errorf(root, "", "no sweeps: nothing to run; add a sweeps: mapping, e.g. sweeps: {baseline: {feeds: [figure2]}}")
	}
	return fs
}

// unknownKey reports a key that is not valid where it is.
func (d *decoder) unknownKey(e entry, field string, valid []string) {
	d.Errorf(e.Key, yamlfile.Join(field, e.Name), "%s", unknownKeyMsg(e.Name, valid))
}

func sanitize(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '_' || r == '.' || r == '-' {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimLeft(b.String(), "-._")
	if out == "" {
		out = "experiment"
	}
	return out
}

// parseSettings decodes a defaults: or set: mapping.
func (fs *fileSpec) parseSettings(n *yaml.Node, field string) config {
	cfg := config{}
	entries, _ := fs.d.Mapping(n, field, "a mapping of run settings ("+strings.Join(runKeys, ", ")+")")
	for _, e := range entries {
		if !slices.Contains(runKeys, e.Name) {
			if slices.Contains(optimizerKeys, e.Name) && e.Name != "name" {
				fs.d.Errorf(e.Key, yamlfile.Join(field, e.Name), "an optimizer setting; write optimizer: {%s: ...}", e.Name)
				continue
			}
			fs.d.unknownKey(e, field, runKeys)
			continue
		}
		cfg[e.Name] = fs.parseValue(e.Name, e.Value, yamlfile.Join(field, e.Name))
	}
	return cfg
}

// parseValue decodes and checks one run setting.
func (fs *fileSpec) parseValue(key string, n *yaml.Node, field string) setting {
	d := fs.d
	s := setting{node: yamlfile.Deref(n), field: field}
	if s.node == nil {
		s.node = n
	}
	switch key {
	case "dataset":
		v, ok := d.Text(n, field)
		if ok {
			if _, err := dataset.Lookup(v); err != nil {
				d.Errorf(n, field, "%s", yamlfile.UnknownMsg("data set", v, dataset.Names()))
				ok = false
			}
		}
		s.val, s.ok = v, ok
	case "data_dir":
		v, ok := d.Text(n, field)
		if ok {
			v, ok = fs.dataDir(v, n, field)
		}
		s.val, s.ok = v, ok
	case "arch":
		v, ok := d.Text(n, field)
		if ok {
			if _, err := arch.Preset(v); err != nil {
				if _, user := fs.archs[v]; !user {
					d.Errorf(n, field, "%s", yamlfile.UnknownMsg("architecture", v, fs.archNames()))
					ok = false
				}
			}
		}
		s.val, s.ok = v, ok
	case "n", "epochs", "batch_size":
		v, ok := d.Integer(n, field)
		if ok && v < 1 {
			d.Errorf(n, field, "must be at least 1, got %d", v)
			ok = false
		}
		// n's bound is its data set's size, checked once the run is
		// resolved, so that every too-large n gets the same message.
		if ok && (key != "n" && v > 1<<31 || v > math.MaxInt) {
			d.Errorf(n, field, "%d is too large; valid: 1 to %d", v, 1<<31)
			ok = false
		}
		s.val, s.ok = int(v), ok
	case "seed":
		v, ok := d.Integer(n, field)
		s.val, s.ok = v, ok
	case "repeats":
		v, ok := d.Integer(n, field)
		if ok && (v < 1 || v > MaxRepeats) {
			d.Errorf(n, field, "%d is out of range; valid: 1 to %d (the number of seeds of each grid point)", v, MaxRepeats)
			ok = false
		}
		s.val, s.ok = int(v), ok
	case "l1":
		v, ok := d.Number(n, field)
		if ok && v < 0 {
			d.Errorf(n, field, "must be 0 or more, got %s", fmtFloat(v))
			ok = false
		}
		s.val, s.ok = v, ok
	case "validation_split":
		v, ok := d.Number(n, field)
		if ok && (v < 0 || v >= 1) {
			d.Errorf(n, field, "%s is out of range; valid: 0 <= validation_split < 1 (the fraction of the n images held out)", fmtFloat(v))
			ok = false
		}
		s.val, s.ok = v, ok
	case "optimizer":
		s.val, s.ok = fs.parseOptimizer(n, field)
	}
	return s
}

// dataDir expands ~ and $VARS and makes a relative directory relative to
// the experiment file's own directory.
func (fs *fileSpec) dataDir(v string, n *yaml.Node, field string) (string, bool) {
	if strings.TrimSpace(v) == "" {
		fs.d.Errorf(n, field, "empty directory; remove data_dir to use the data set's default location")
		return "", false
	}
	var missing []string
	v = os.Expand(v, func(name string) string {
		val, ok := os.LookupEnv(name)
		if !ok {
			missing = append(missing, name)
		}
		return val
	})
	if len(missing) > 0 {
		fs.d.Errorf(n, field, "environment variable %s is not set", strings.Join(missing, ", "))
		return "", false
	}
	if v == "~" || strings.HasPrefix(v, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			fs.d.Errorf(n, field, "cannot expand ~: %v", err)
			return "", false
		}
		v = filepath.Join(home, v[1:])
	}
	if !filepath.IsAbs(v) {
		// Relative to the file that wrote it: an included file's own
		// directory, the working directory for a command-line override.
		base := fs.path
		if o, ok := fs.d.Origin[yamlfile.Deref(n)]; ok {
			base = o.Path
		}
		v = filepath.Join(filepath.Dir(base), v)
	}
	return filepath.Clean(v), true
}

func (fs *fileSpec) archNames() []string {
	names := arch.PresetNames()
	user := make([]string, 0, len(fs.archs))
	for n := range fs.archs {
		user = append(user, n)
	}
	sort.Strings(user)
	return append(names, user...)
}

// parseOptimizer decodes an optimizer: mapping into field overrides.
func (fs *fileSpec) parseOptimizer(n *yaml.Node, field string) ([]optField, bool) {
	d := fs.d
	entries, ok := d.Mapping(n, field, "a mapping ("+strings.Join(optimizerKeys, ", ")+")")
	if !ok {
		return nil, false
	}
	var out []optField
	for _, e := range entries {
		f := yamlfile.Join(field, e.Name)
		switch e.Name {
		case "name":
			v, good := d.Text(e.Value, f)
			if good && !slices.Contains(optimizers, v) {
				d.Errorf(e.Value, f, "%s", yamlfile.UnknownMsg("optimizer", v, optimizers))
				good = false
			}
			ok = ok && good
			out = append(out, optField{e.Name, v, e.Value})
		case "learning_rate", "epsilon":
			v, good := d.Number(e.Value, f)
			if good && v <= 0 {
				d.Errorf(e.Value, f, "must be more than 0, got %s", fmtFloat(v))
				good = false
			}
			ok = ok && good
			out = append(out, optField{e.Name, v, e.Value})
		case "beta1", "beta2":
			v, good := d.Number(e.Value, f)
			if good && (v < 0 || v >= 1) {
				d.Errorf(e.Value, f, "%s is out of range; valid: 0 <= %s < 1", fmtFloat(v), e.Name)
				good = false
			}
			ok = ok && good
			out = append(out, optField{e.Name, v, e.Value})
		default:
			d.unknownKey(e, field, optimizerKeys)
			ok = false
		}
	}
	return out, ok
}

// parseArchitectures decodes the architectures: mapping.
func (fs *fileSpec) parseArchitectures(n *yaml.Node) {
	d := fs.d
	entries, _ := d.Mapping(n, "architectures", "a mapping of names to layer lists")
	for _, e := range entries {
		field := yamlfile.Join("architectures", e.Name)
		ua := &userArch{node: e.Key, ok: true}
		if !yamlfile.IsSafeName(e.Name) {
			d.Errorf(e.Key, field, "%s is not usable as an architecture name; valid: %s", yamlfile.Quote(e.Name), yamlfile.SafeNameRule)
			ua.ok = false
		} else if _, err := arch.Preset(e.Name); err == nil {
			d.Errorf(e.Key, field, "%s is a built-in preset; give your architecture another name", e.Name)
			continue
		}
		items, ok := d.List(e.Value, field, "a list of layers such as - conv2d: {filters: 16, kernel: 3}")
		if ok && len(items) == 0 {
			d.Errorf(e.Value, field, "no layers; list them, e.g. - conv2d: {filters: 16, kernel: 3}")
			ok = false
		}
		ua.ok = ua.ok && ok
		ua.arch.Name = e.Name
		lastOK := false
		for i, item := range items {
			l, good := fs.parseLayer(item, yamlfile.Index(field, i))
			ua.ok = ua.ok && good
			lastOK = good
			ua.arch.Layers = append(ua.arch.Layers, l.Normalize())
			ua.layers = append(ua.layers, item)
		}
		if lastOK {
			fs.checkOutputLayer(ua, field)
		}
		fs.archs[e.Name] = ua
	}
}

// checkOutputLayer insists on what training needs at the end of a network:
// a softmax dense layer, whose l1 is the run's l1 setting.
func (fs *fileSpec) checkOutputLayer(ua *userArch, field string) {
	last := len(ua.arch.Layers) - 1
	l := ua.arch.Layers[last]
	if l.Kind != arch.KindDense || l.Activation != arch.ActSoftmax {
		fs.d.Errorf(ua.layers[last], yamlfile.Index(field, last), "the last layer must be dense with activation: softmax (one unit per class, e.g. dense: {units: 10, activation: softmax}), got %s", layerDesc(l))
		ua.ok = false
		return
	}
	if l.L1 != 0 {
		fs.d.Errorf(ua.layers[last], yamlfile.Index(field, last)+".dense.l1", "the last dense layer's l1 is the run's l1 setting; set l1: in defaults, set or grid instead")
		ua.ok = false
	}
}

func layerDesc(l arch.Layer) string {
	if l.Kind == arch.KindDense {
		return fmt.Sprintf("dense with activation %s", l.Activation)
	}
	return l.Kind
}

// parseLayer decodes one layer: "- conv2d: {filters: 16, kernel: 3}", a
// bare "- flatten", or the flat form "- {kind: conv2d, filters: 16, ...}".
func (fs *fileSpec) parseLayer(n *yaml.Node, field string) (arch.Layer, bool) {
	d := fs.d
	n = yamlfile.Deref(n)
	const want = "a layer such as conv2d: {filters: 16, kernel: 3}"
	var kindNode, params *yaml.Node
	var kind string
	var entries []entry
	flat := false
	switch {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str":
		kind, kindNode = n.Value, n
	case n.Kind == yaml.MappingNode:
		es, _ := d.Mapping(n, field, want)
		for _, e := range es {
			if e.Name == "kind" {
				flat = true
			}
		}
		if flat {
			for _, e := range es {
				if e.Name == "kind" {
					k, ok := d.Text(e.Value, yamlfile.Join(field, "kind"))
					if !ok {
						return arch.Layer{}, false
					}
					kind, kindNode = k, e.Value
				} else {
					entries = append(entries, e)
				}
			}
		} else {
			if len(es) != 1 {
				names := make([]string, len(es))
				for i, e := range es {
					names[i] = e.Name
				}
				d.Errorf(n, field, "a layer is one kind with its settings, e.g. - conv2d: {filters: 16, kernel: 3}; got keys %s", strings.Join(names, ", "))
				return arch.Layer{}, false
			}
			kind, kindNode, params = es[0].Name, es[0].Key, es[0].Value
		}
	default:
		d.Errorf(n, field, "must be %s, got %s", want, yamlfile.Describe(n))
		return arch.Layer{}, false
	}
	valid, known := layerKeys[kind]
	if !known {
		d.Errorf(kindNode, field, "%s", yamlfile.UnknownMsg("layer kind", kind, arch.Kinds))
		return arch.Layer{}, false
	}
	field = yamlfile.Join(field, kind)
	if !flat && params != nil {
		var ok bool
		entries, ok = d.Mapping(params, field, "a mapping of "+kind+" settings ("+strings.Join(valid, ", ")+")")
		if !ok {
			return arch.Layer{}, false
		}
	}
	l := arch.Layer{Kind: kind}
	ok := true
	seen := map[string]bool{}
	for _, e := range entries {
		f := yamlfile.Join(field, e.Name)
		if !slices.Contains(valid, e.Name) {
			if len(valid) == 0 {
				d.Errorf(e.Key, f, "unknown key; %s takes no settings", kind)
			} else {
				d.unknownKey(e, field, valid)
			}
			ok = false
			continue
		}
		seen[e.Name] = true
		good := true
		switch e.Name {
		case "filters", "units", "stride", "pool", "kernel":
			v, g := d.Integer(e.Value, f)
			good = g
			if g && v < 1 {
				d.Errorf(e.Value, f, "must be at least 1, got %d", v)
				good = false
			} else if g && v > 1<<20 {
				d.Errorf(e.Value, f, "%d is too large; valid: 1 to %d", v, 1<<20)
				good = false
			} else if g && e.Name == "kernel" && v%2 == 0 {
				d.Errorf(e.Value, f, "must be odd so the kernel has a centre, got %d; valid: odd numbers such as 1, 3 and 5", v)
				good = false
			}
			switch e.Name {
			case "filters":
				l.Filters = int(v)
			case "units":
				l.Units = int(v)
			case "stride":
				l.Stride = int(v)
			case "pool":
				l.Pool = int(v)
			case "kernel":
				l.Kernel = int(v)
			}
		case "padding":
			v, g := d.Text(e.Value, f)
			good = g
			if g && v != "same" && v != "valid" {
				d.Errorf(e.Value, f, "%s", yamlfile.UnknownMsg("padding", v, []string{"same", "valid"}))
				good = false
			}
			l.Padding = v
		case "activation":
			v, g := d.Text(e.Value, f)
			good = g
			acts := []string{arch.ActReLU, arch.ActNone}
			if kind == arch.KindDense {
				acts = []string{arch.ActReLU, arch.ActSoftmax, arch.ActNone}
			}
			if g && !slices.Contains(acts, v) {
				d.Errorf(e.Value, f, "%s", yamlfile.UnknownMsg("activation", v, acts))
				good = false
			}
			l.Activation = v
		case "rate":
			v, g := d.Number(e.Value, f)
			good = g
			if g && (v < 0 || v >= 1) {
				d.Errorf(e.Value, f, "%s is out of range; valid: 0 <= rate < 1 (the fraction of values dropped)", fmtFloat(v))
				good = false
			}
			l.Rate = v
		case "l1", "l2":
			v, g := d.Number(e.Value, f)
			good = g
			if g && v < 0 {
				d.Errorf(e.Value, f, "must be 0 or more, got %s", fmtFloat(v))
				good = false
			}
			if e.Name == "l1" {
				l.L1 = v
			} else {
				l.L2 = v
			}
		}
		ok = ok && good
	}
	required := map[string][]string{
		arch.KindConv2D:  {"filters", "kernel"},
		arch.KindDense:   {"units"},
		arch.KindDropout: {"rate"},
	}
	for _, r := range required[kind] {
		if !seen[r] {
			d.Errorf(kindNode, field, "missing %s; %s needs %s", r, kind, strings.Join(required[kind], " and "))
			ok = false
		}
	}
	return l, ok
}

// parseSweeps decodes the sweeps: mapping.
func (fs *fileSpec) parseSweeps(n *yaml.Node) {
	d := fs.d
	entries, ok := d.Mapping(n, "sweeps", "a mapping of sweep names to sweeps")
	if ok && len(entries) == 0 {
		d.Errorf(n, "sweeps", "no sweeps: nothing to run; add one, e.g. baseline: {feeds: [figure2]}")
	}
	fedBy := map[string]fedAt{}
	for _, e := range entries {
		field := yamlfile.Join("sweeps", e.Name)
		sw := &sweepSpec{name: e.Name, node: e.Key, set: config{}}
		if !yamlfile.IsSafeName(e.Name) {
			d.Errorf(e.Key, field, "%s is not usable as a sweep name (it names the sweep's table file); valid: %s", yamlfile.Quote(e.Name), yamlfile.SafeNameRule)
		}
		body, _ := d.Mapping(e.Value, field, "a mapping ("+strings.Join(sweepKeys, ", ")+")")
		var gridEntry *entry
		for i := range body {
			b := body[i]
			switch b.Name {
			case "description":
				sw.desc, _ = d.Text(b.Value, yamlfile.Join(field, "description"))
			case "feeds":
				sw.feeds = fs.parseFeeds(b.Value, yamlfile.Join(field, "feeds"), e.Name, fedBy)
			case "set":
				sw.set = fs.parseSettings(b.Value, yamlfile.Join(field, "set"))
			case "grid":
				gridEntry = &body[i]
			case "reference":
				sw.reference, sw.refNode = fs.parseReference(b.Value, yamlfile.Join(field, "reference")), yamlfile.Deref(b.Value)
			default:
				if slices.Contains(runKeys, b.Name) {
					d.Errorf(b.Key, yamlfile.Join(field, b.Name), "a run setting belongs under this sweep's set: (one value) or grid: (a list); valid here: %s", strings.Join(sweepKeys, ", "))
					continue
				}
				d.unknownKey(b, field, sweepKeys)
			}
		}
		if gridEntry != nil {
			fs.parseGrid(sw, gridEntry.Value, yamlfile.Join(field, "grid"))
		}
		fs.sweeps = append(fs.sweeps, sw)
	}
}

// parseFeeds decodes a feeds: list (or a single item).
// fedAt is where a report item was first claimed by a sweep.
type fedAt struct {
	sweep string
	node  *yaml.Node
}

func (fs *fileSpec) parseFeeds(n *yaml.Node, field, sweep string, fedBy map[string]fedAt) []string {
	d := fs.d
	n = yamlfile.Deref(n)
	items := []*yaml.Node{n}
	if n != nil && n.Kind == yaml.SequenceNode {
		items = n.Content
	} else if yamlfile.IsNull(n) {
		return nil
	}
	var out []string
	for i, item := range items {
		f := field
		if n.Kind == yaml.SequenceNode {
			f = yamlfile.Index(field, i)
		}
		v, ok := d.Text(item, f)
		if !ok {
			continue
		}
		if !slices.Contains(ReportItems, v) {
			d.Errorf(item, f, "%s", yamlfile.UnknownMsg("report item", v, ReportItems))
			continue
		}
		if first, dup := fedBy[v]; dup {
			if first.sweep == sweep {
				d.Errorf(item, f, "%s is listed twice", v)
			} else {
				d.Errorf(item, f, "%s is already fed by sweep %s (line %d:%d); each report item comes from one sweep of a file", v, first.sweep, first.node.Line, first.node.Column)
			}
			continue
		}
		fedBy[v] = fedAt{sweep, item}
		out = append(out, v)
	}
	return out
}

// parseGrid decodes a grid: mapping of axes to value lists.
func (fs *fileSpec) parseGrid(sw *sweepSpec, n *yaml.Node, field string) {
	d := fs.d
	entries, _ := d.Mapping(n, field, "a mapping of settings to lists of values, e.g. {l1: [0, 0.001]}")
	for _, e := range entries {
		f := yamlfile.Join(field, e.Name)
		if !slices.Contains(gridKeys, e.Name) {
			switch e.Name {
			case "optimizer":
				d.Errorf(e.Key, f, "cannot be a grid axis; set it in defaults or in a sweep's set (one sweep per optimizer setting)")
			case "data_dir":
				d.Errorf(e.Key, f, "cannot be a grid axis: where the data lives does not change a run; set it in defaults or set")
			case "repeats":
				d.Errorf(e.Key, f, "cannot be a grid axis; write repeats: N in defaults or the sweep's set, or list the seeds as a grid axis, seed: [1, 2, 3]")
			default:
				d.unknownKey(e, field, gridKeys)
			}
			continue
		}
		if s, dup := sw.set[e.Name]; dup && s.node != nil {
			d.Errorf(e.Key, f, "also given in this sweep's set (line %d); a setting is either set or swept, not both", s.node.Line)
			continue
		}
		if s, dup := sw.set["repeats"]; dup && e.Name == "seed" && s.node != nil {
			d.Errorf(e.Key, f, "this sweep's set also has repeats (line %d); both choose the seeds, keep one: repeats: N or seed: [...]", s.node.Line)
			continue
		}
		v := yamlfile.Deref(e.Value)
		if v == nil || v.Kind != yaml.SequenceNode {
			d.Errorf(e.Value, f, "must be a list of values, got %s; write [%s], or put a single value in the sweep's set", yamlfile.Describe(v), scalarText(v))
			continue
		}
		if len(v.Content) == 0 {
			d.Errorf(v, f, "empty list: a grid axis needs at least one value")
			continue
		}
		ax := axis{name: e.Name, node: e.Key}
		firstAt := map[string]*yaml.Node{}
		for i, item := range v.Content {
			s := fs.parseValue(e.Name, item, yamlfile.Index(f, i))
			if s.ok {
				key := fmt.Sprint(s.val)
				if first, dup := firstAt[key]; dup {
					d.Errorf(item, yamlfile.Index(f, i), "duplicate value %s; first at line %d:%d", yamlfile.Deref(item).Value, first.Line, first.Column)
					continue
				}
				firstAt[key] = yamlfile.Deref(item)
			}
			ax.values = append(ax.values, s)
		}
		sw.axes = append(sw.axes, ax)
	}
}

// parseReference decodes a sweep's reference: mapping, the settings of the
// cell the sweep's other cells are compared with, e.g. {l1: 0}.
func (fs *fileSpec) parseReference(n *yaml.Node, field string) config {
	d := fs.d
	cfg := config{}
	entries, _ := d.Mapping(n, field, "a mapping of settings naming one cell, e.g. {l1: 0}")
	for _, e := range entries {
		if !slices.Contains(referenceKeys, e.Name) {
			if e.Name == "seed" || e.Name == "repeats" {
				d.Errorf(e.Key, yamlfile.Join(field, e.Name), "a reference is a cell, every seed of one setting; name it without %s; valid: %s", e.Name, strings.Join(referenceKeys, ", "))
				continue
			}
			d.unknownKey(e, field, referenceKeys)
			continue
		}
		if v := yamlfile.Deref(e.Value); v != nil && v.Kind == yaml.SequenceNode {
			d.Errorf(e.Value, yamlfile.Join(field, e.Name), "must be one value, got a list; the reference is one cell")
			continue
		}
		cfg[e.Name] = fs.parseValue(e.Name, e.Value, yamlfile.Join(field, e.Name))
	}
	return cfg
}

func scalarText(n *yaml.Node) string {
	if n != nil && n.Kind == yaml.ScalarNode && n.Value != "" {
		return n.Value
	}
	return "..."
}

// fmtFloat formats a number as it is shortest written.
func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
