package spec

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"convlab/arch"
	"convlab/internal/yamlfile"
	"convlab/runner/dataset"
)

// MaxRuns caps the runs one file may expand to: more is surely a mistake
// (and would take years to train).
const MaxRuns = 10000

// pending is one expanded run before deduplication.
type pending struct {
	run   Run
	sweep *Sweep
}

// build expands the parsed files into a plan, or returns every error.
func build(paths []string, specs []*fileSpec, errs Errors) (*Plan, error) {
	order := map[string]int{}
	for i, p := range paths {
		if _, ok := order[p]; !ok {
			order[p] = i
		}
	}
	plan := &Plan{}
	names := map[string]*fileSpec{}
	var all []pending
	for _, fs := range specs {
		if other, dup := names[fs.name]; dup {
			e := &Error{File: fs.path, Msg: fmt.Sprintf("name %s is also the name of %s; each file's results go to results/<name>/, set another name: in one of them", fs.name, other.path)}
			if fs.nameNode != nil {
				e.Line, e.Column, e.Field = fs.nameNode.Line, fs.nameNode.Column, "name"
			}
			errs = append(errs, e)
		}
		names[fs.name] = fs
		f := &File{Path: fs.path, Name: fs.name, Description: fs.desc, Overrides: fs.overrides, FigureFormats: fs.formats}
		plan.Files = append(plan.Files, f)
		runs, ferrs := fs.expand(f)
		errs = append(errs, ferrs...)
		all = append(all, runs...)
	}
	if len(errs) > 0 {
		return nil, errs.Sorted(order)
	}
	plan.Runs = dedupe(all)
	return plan, nil
}

// expand turns every sweep of the file into runs, checking what can only be
// checked once a run's settings are all known (n against the data set,
// layer shapes against its images).
func (fs *fileSpec) expand(f *File) ([]pending, Errors) {
	re := &decoder{yamlfile.Decoder{File: fs.path, Empty: emptyFile, Origin: fs.d.Origin}}
	base := overlay(studyDefaults(), fs.defaults)
	// Every architecture fits the file's default data set, even one no
	// sweep uses yet; those in use are checked against their runs' too.
	if ds := base["dataset"]; ds.ok {
		if info, err := dataset.Lookup(ds.val.(string)); err == nil {
			for _, name := range sortedKeys(fs.archs) {
				if ua := fs.archs[name]; ua.ok {
					fs.checkShapes(re, ua.arch, ua.layers, info, ua.node, "architectures."+name)
				}
			}
		}
	}
	var out []pending
	total := 0
	f.Sweeps = make([]Sweep, len(fs.sweeps))
	for si, sw := range fs.sweeps {
		s := &f.Sweeps[si]
		s.Name, s.Description, s.Feeds = sw.name, sw.desc, sw.feeds
		cfg := overlay(base, sw.set)
		axes := withRepeats(sw.axes, cfg)
		size := 1
		for _, ax := range axes {
			s.Axes = append(s.Axes, ax.name)
			size *= max(1, len(ax.values))
			if size > MaxRuns {
				break
			}
		}
		total += size
		if total > MaxRuns {
			re.Errorf(sw.node, "sweeps."+sw.name, "the file expands to more than %d runs; split it or shorten its grids", MaxRuns)
			return out, re.Errs
		}
		// Odometer over the axes, the last axis fastest.
		idx := make([]int, len(axes))
		for _, ax := range axes {
			if len(ax.values) == 0 {
				idx = nil // an axis whose every value was invalid: no runs
			}
		}
		for idx != nil {
			c := cfg
			if len(axes) > 0 {
				point := config{}
				for a, ax := range axes {
					point[ax.name] = ax.values[idx[a]]
				}
				c = overlay(cfg, point)
			}
			if run, ok := fs.resolve(re, sw, c); ok {
				out = append(out, pending{run: run, sweep: s})
			}
			a := len(idx) - 1
			for ; a >= 0; a-- {
				idx[a]++
				if idx[a] < len(axes[a].values) {
					break
				}
				idx[a] = 0
			}
			if a < 0 {
				idx = nil
			}
		}
	}
	fs.references(re, f, base, out)
	return out, re.Errs
}

// withRepeats adds the seed axis that repeats: N asks for: the seeds seed,
// seed+1, ..., seed+N-1, varying fastest. A sweep that lists its seeds as
// a grid axis keeps them (repeats in defaults then does not apply to it;
// repeats and a seed axis in the same sweep are refused when parsed).
func withRepeats(axes []axis, cfg config) []axis {
	rep, seed := cfg["repeats"], cfg["seed"]
	n, _ := rep.val.(int)
	if !rep.ok || !seed.ok || n <= 1 {
		return axes
	}
	for _, ax := range axes {
		if ax.name == "seed" {
			return axes
		}
	}
	first := seed.val.(int64)
	ax := axis{name: "seed", node: rep.node}
	for i := range n {
		ax.values = append(ax.values, setting{val: first + int64(i), node: rep.node, field: rep.field, ok: true})
	}
	return append(append([]axis(nil), axes...), ax)
}

// references sets each sweep's reference cell, the cell its other cells
// are compared with: the one its reference: names (which must be a cell of
// the file), else the one of the file's defaults when some sweep of the
// file runs it, else none.
func (fs *fileSpec) references(d *decoder, f *File, base config, out []pending) {
	cells := map[string]bool{}
	for _, p := range out {
		cells[p.run.CellHash()] = true
	}
	for si, sw := range fs.sweeps {
		s := &f.Sweeps[si]
		if sw.refNode == nil {
			if run, ok := fs.resolve(newDecoder(fs.path), sw, base); ok && cells[run.CellHash()] {
				s.Reference = run.CellHash()
			}
			continue
		}
		run, ok := fs.resolve(d, sw, overlay(overlay(base, sw.set), sw.reference))
		if !ok {
			continue
		}
		if !cells[run.CellHash()] {
			d.Errorf(sw.refNode, "sweeps."+sw.name+".reference", "no run of this file has these settings (%s); valid: the settings of a cell that a sweep of the file runs, e.g. one value of each of this sweep's axes", readableCell(run))
			continue
		}
		s.Reference, s.ReferenceNamed = run.CellHash(), true
	}
}

// readableCell is a run's readable id without its seed.
func readableCell(r Run) string {
	id := readableID(r)
	return strings.TrimSuffix(id, fmt.Sprintf("-s%d", r.Seed))
}

// where returns the node a setting was written at, or the sweep's name
// when it is the study's default.
func where(s setting, sw *sweepSpec) *yaml.Node {
	if s.node != nil {
		return s.node
	}
	return sw.node
}

// fieldOf names a setting in messages: its key, or a note that it is the
// study's default.
func fieldOf(key string, s setting, sw *sweepSpec) string {
	if s.node != nil {
		return s.field
	}
	return "sweeps." + sw.name + " (default " + key + ")"
}

// resolve builds the run of one grid point and checks it as a whole.
func (fs *fileSpec) resolve(d *decoder, sw *sweepSpec, c config) (Run, bool) {
	allOK := true
	for _, s := range c {
		allOK = allOK && s.ok
	}
	r := Run{File: fs.path, Optimizer: DefaultOptimizer()}
	r.Dataset, _ = c["dataset"].val.(string)
	if s, ok := c["data_dir"]; ok {
		r.DataDir, _ = s.val.(string)
	}
	archName, _ := c["arch"].val.(string)
	r.N, _ = c["n"].val.(int)
	r.L1, _ = c["l1"].val.(float64)
	r.Epochs, _ = c["epochs"].val.(int)
	r.BatchSize, _ = c["batch_size"].val.(int)
	r.ValidationSplit, _ = c["validation_split"].val.(float64)
	r.Seed, _ = c["seed"].val.(int64)
	opt, _ := c["optimizer"].val.([]optField)
	for _, o := range opt {
		switch o.name {
		case "name":
			r.Optimizer.Name, _ = o.val.(string)
		case "learning_rate":
			r.Optimizer.LearningRate, _ = o.val.(float64)
		case "beta1":
			r.Optimizer.Beta1, _ = o.val.(float64)
		case "beta2":
			r.Optimizer.Beta2, _ = o.val.(float64)
		case "epsilon":
			r.Optimizer.Epsilon, _ = o.val.(float64)
		}
	}

	var info *dataset.Info
	if c["dataset"].ok {
		info, _ = dataset.Lookup(r.Dataset)
	}
	if info != nil && c["n"].ok {
		ns := c["n"]
		if r.N > info.TrainSize {
			d.Errorf(where(ns, sw), fieldOf("n", ns, sw), "%d is more than the %d training images of %s; valid: 1 to %d", r.N, info.TrainSize, r.Dataset, info.TrainSize)
			allOK = false
		} else if vs := c["validation_split"]; vs.ok && trainCount(r.N, r.ValidationSplit) < 1 {
			d.Errorf(where(ns, sw), fieldOf("n", ns, sw), "%d with validation_split %s leaves no image to train on (int(n * (1 - validation_split)) = 0); valid: n of at least %d", r.N, fmtFloat(r.ValidationSplit), minN(r.ValidationSplit))
			allOK = false
		}
	}

	as := c["arch"]
	if as.ok {
		var layerNodes []*yaml.Node
		if ua, user := fs.archs[archName]; user {
			if ua.ok {
				r.Arch = cloneArch(ua.arch)
				layerNodes = ua.layers
			} else {
				allOK = false
			}
		} else if a, err := arch.Preset(archName); err == nil {
			r.Arch = a
		} else {
			allOK = false
		}
		if info != nil && r.Arch.Name != "" {
			if !fs.checkShapes(d, r.Arch, layerNodes, info, where(as, sw), fieldOf("arch", as, sw)) {
				allOK = false
			}
		}
	}
	return r, allOK
}

// trainCount is the number of training images Keras keeps from n with the
// given validation split: int(n * (1 - split)).
func trainCount(n int, split float64) int { return int(float64(n) * (1 - split)) }

// minN is the smallest n that leaves at least one training image.
func minN(split float64) int {
	n := max(1, int(1/(1-split))-2)
	for trainCount(n, split) < 1 {
		n++
	}
	return n
}

func cloneArch(a arch.Arch) arch.Arch {
	return arch.Arch{Name: a.Name, Layers: append([]arch.Layer(nil), a.Layers...)}
}

// checkShapes infers the architecture's shapes on the data set's images and
// checks that it ends in one unit per class. A failing layer of a user
// architecture is reported at that layer; a preset at the arch setting.
func (fs *fileSpec) checkShapes(d *decoder, a arch.Arch, layerNodes []*yaml.Node, info *dataset.Info, at *yaml.Node, field string) bool {
	input := arch.Shape{C: info.C, H: info.H, W: info.W}
	inputDesc := fmt.Sprintf("%s images are %dx%dx%d", info.Name, info.H, info.W, info.C)
	infos, err := a.Infer(input)
	if err != nil {
		le, ok := err.(*arch.LayerError)
		if ok && le.Index < len(layerNodes) {
			d.Errorf(layerNodes[le.Index], fmt.Sprintf("architectures.%s[%d].%s", a.Name, le.Index, le.Kind), "%s (%s)", le.Msg, inputDesc)
		} else {
			d.Errorf(at, field, "architecture %s does not fit %s: %v", a.Name, inputDesc, err)
		}
		return false
	}
	if len(infos) == 0 {
		return true
	}
	last := infos[len(infos)-1]
	if classes := len(info.Classes); last.Layer.Kind != arch.KindDense || last.Output.C != classes {
		if n := len(layerNodes); n > 0 {
			d.Errorf(layerNodes[n-1], fmt.Sprintf("architectures.%s[%d].%s", a.Name, n-1, last.Layer.Kind), "the last layer must have one unit per class: %s has %d classes, got %d units", info.Name, classes, last.Output.C)
		} else {
			d.Errorf(at, field, "architecture %s ends in %d outputs but %s has %d classes", a.Name, last.Output.C, info.Name, classes)
		}
		return false
	}
	return true
}

// dedupe merges runs of identical content (same Hash) into one, keeping
// the first's place, and gives every run its readable ID.
func dedupe(all []pending) []Run {
	var runs []Run
	at := map[string]int{}
	for _, p := range all {
		h := p.run.Hash()
		i, seen := at[h]
		if !seen {
			i = len(runs)
			at[h] = i
			runs = append(runs, p.run)
		}
		r := &runs[i]
		r.Sweeps = appendNew(r.Sweeps, p.sweep.Name)
		for _, f := range p.sweep.Feeds {
			r.Feeds = appendNew(r.Feeds, f)
		}
		sortItems(r.Feeds)
	}
	// Readable IDs; configurations that read the same get their hash too.
	hashesOf := map[string]map[string]bool{}
	for i := range runs {
		id := readableID(runs[i])
		if hashesOf[id] == nil {
			hashesOf[id] = map[string]bool{}
		}
		hashesOf[id][runs[i].Hash()] = true
	}
	for i := range runs {
		id := readableID(runs[i])
		if len(hashesOf[id]) > 1 {
			id += "-" + runs[i].Hash()
		}
		runs[i].ID = id
	}
	// Sweeps list their runs in grid order.
	for _, p := range all {
		h := p.run.Hash()
		p.sweep.RunIDs = appendNew(p.sweep.RunIDs, runs[at[h]].ID)
	}
	return runs
}

// sortItems orders report items as ReportItems lists them.
func sortItems(items []string) {
	rank := func(s string) int {
		for i, v := range ReportItems {
			if v == s {
				return i
			}
		}
		return len(ReportItems)
	}
	sort.SliceStable(items, func(i, j int) bool { return rank(items[i]) < rank(items[j]) })
}

func appendNew(list []string, s string) []string {
	for _, v := range list {
		if v == s {
			return list
		}
	}
	return append(list, s)
}

// readableID names a run by what distinguishes it, e.g.
// "strided-n5000-l1_0.0001-e20-s1"; the data set, batch size, validation
// split and optimizer appear only when they differ from the study's.
func readableID(r Run) string {
	var parts []string
	if r.Dataset != DefaultDataset {
		parts = append(parts, r.Dataset)
	}
	parts = append(parts, r.Arch.Name, fmt.Sprintf("n%d", r.N), "l1_"+fmtFloat(r.L1), fmt.Sprintf("e%d", r.Epochs))
	if r.BatchSize != DefaultBatchSize {
		parts = append(parts, fmt.Sprintf("b%d", r.BatchSize))
	}
	if r.ValidationSplit != DefaultValidationSplit {
		parts = append(parts, "vs"+fmtFloat(r.ValidationSplit))
	}
	def := DefaultOptimizer()
	o := r.Optimizer
	if o.Name != def.Name {
		parts = append(parts, o.Name)
	}
	if o.LearningRate != def.LearningRate {
		parts = append(parts, "lr"+fmtFloat(o.LearningRate))
	}
	if o.Beta1 != def.Beta1 {
		parts = append(parts, "b1_"+fmtFloat(o.Beta1))
	}
	if o.Beta2 != def.Beta2 {
		parts = append(parts, "b2_"+fmtFloat(o.Beta2))
	}
	if o.Epsilon != def.Epsilon {
		parts = append(parts, "eps"+fmtFloat(o.Epsilon))
	}
	parts = append(parts, fmt.Sprintf("s%d", r.Seed))
	id := strings.Join(parts, "-")
	id = strings.ReplaceAll(id, "+", "")
	return sanitize(id)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
