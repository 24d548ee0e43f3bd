package spec

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"convlab/internal/yamlfile"
)

// Override is one setting given on the command line, in the style of
// Hydra and DVC:
//
//	-S epochs=10                  defaults.epochs: 10 (every run whose sweep does not set epochs)
//	-S optimizer.learning_rate=0.01   defaults.optimizer.learning_rate
//	-S sweeps.l1.set.epochs=5     one sweep's set:
//	-S sweeps.l1.grid.n=[100,200] any place of the file, by its dotted path
//	-S n=[5000,10000]             a new axis n of every sweep (a multirun)
//	-m n=5000,10000               the same, Hydra's way
//
// Overrides edit the file's YAML tree before it is checked, so a value is
// held to the same rules as in the file and a run they produce is the run
// the edited file would declare: the same id, hash and results directory.
// An error in an override names the argument instead of a line.
type Override struct {
	// Arg is the argument as typed, e.g. "-S epochs=10"; errors name it.
	Arg string
	// Path is the dotted key, with defaults. prepended to a bare run
	// setting, e.g. "defaults.epochs" or "sweeps.l1.set.epochs".
	Path []string
	// Axis is true when the value is a list for a run setting that every
	// sweep varies along (-m, or -S KEY=[...]).
	Axis  bool
	value *yaml.Node
}

// ParseOverride reads the text of a -S (multi false) or -m (multi true)
// argument, KEY=VALUE, the value written as in YAML (a -m value is a
// comma-separated list).
func ParseOverride(text string, multi bool) (Override, error) {
	flag := "-S"
	if multi {
		flag = "-m"
	}
	o := Override{Arg: flag + " " + text}
	key, val, ok := strings.Cut(text, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return o, fmt.Errorf("%s: want KEY=VALUE, e.g. %s", o.Arg, map[bool]string{false: "-S epochs=10 or -S sweeps.l1.set.epochs=5", true: "-m n=5000,10000"}[multi])
	}
	o.Path = strings.Split(key, ".")
	for _, p := range o.Path {
		if p == "" {
			return o, fmt.Errorf("%s: %q has an empty part; write keys separated by single dots, e.g. sweeps.l1.set.epochs", o.Arg, key)
		}
	}
	if multi {
		val = "[" + val + "]"
	}
	n, err := parseValueText(val)
	if err != nil {
		return o, fmt.Errorf("%s: invalid value: %w", o.Arg, err)
	}
	o.value = n
	first := o.Path[0]
	switch {
	case first == "kind":
		return o, fmt.Errorf("%s: the kind of a file cannot be overridden", o.Arg)
	case slices.Contains(topKeys, first):
	default:
		// A bare run setting (or a misspelt one, which the check of
		// defaults then reports with a suggestion).
		o.Path = append([]string{"defaults"}, o.Path...)
		o.Axis = n.Kind == yaml.SequenceNode && len(o.Path) == 2
		if multi && !o.Axis {
			return o, fmt.Errorf("%s: a multirun axis is one run setting (%s); %s cannot be a grid axis", o.Arg, strings.Join(gridKeys, ", "), key)
		}
	}
	if multi && !o.Axis && !slices.Contains(o.Path, "grid") {
		return o, fmt.Errorf("%s: a list here is not a grid axis; -m takes a run setting (-m n=100,200) or a path into a grid (-m sweeps.NAME.grid.n=100,200)", o.Arg)
	}
	return o, nil
}

// parseValueText parses one YAML value; empty text is null.
func parseValueText(text string) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return nil, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0], nil
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}, nil
}

// claim records that n and every node under it came from o.
func (d *decoder) claim(n *yaml.Node, o origin) {
	if n == nil {
		return
	}
	if d.Origin == nil {
		d.Origin = map[*yaml.Node]origin{}
	}
	if _, seen := d.Origin[n]; seen {
		return
	}
	d.Origin[n] = o
	for _, c := range n.Content {
		d.claim(c, o)
	}
}

// applyOverrides edits the tree of one file (its root mapping) with the
// overrides, in order, each later one winning.
func (d *decoder) applyOverrides(root *yaml.Node, overrides []Override) {
	root = yamlfile.Deref(root)
	if root == nil || root.Kind != yaml.MappingNode {
		return
	}
	for _, o := range overrides {
		at := origin{Name: o.Arg, Arg: true}
		value := cloneNode(o.value)
		d.claim(value, at)
		if o.Axis {
			d.addAxis(root, o, value, at)
			continue
		}
		if err := d.setPath(root, o.Path, value, at); err != nil {
			d.Errs = append(d.Errs, &Error{File: o.Arg, Msg: err.Error()})
			continue
		}
		d.checkShadowed(root, o)
	}
}

// addAxis makes the setting an axis of every sweep, replacing what the
// sweep sets or sweeps of it.
func (d *decoder) addAxis(root *yaml.Node, o Override, list *yaml.Node, at origin) {
	key := o.Path[1]
	sweeps := lookup(root, "sweeps")
	if sweeps == nil || sweeps.Kind != yaml.MappingNode {
		d.Errs = append(d.Errs, &Error{File: o.Arg, Msg: "the file has no sweeps to add the axis " + key + " to"})
		return
	}
	for i := 0; i+1 < len(sweeps.Content); i += 2 {
		name := sweeps.Content[i].Value
		sweeps.Content[i+1] = ownMapping(sweeps.Content[i+1])
		sw := sweeps.Content[i+1]
		if set := lookup(sw, "set"); set != nil {
			if set = ownMapping(set); set.Kind == yaml.MappingNode {
				replace(sw, "set", set)
				remove(set, key)
			}
		}
		axis := cloneNode(list)
		d.claim(axis, at)
		if err := d.setPath(sw, []string{"grid", key}, axis, at); err != nil {
			d.Errs = append(d.Errs, &Error{File: o.Arg, Msg: "sweeps." + name + ": " + err.Error()})
		}
	}
}

// checkShadowed reports a default that no run would get because every
// sweep sets or sweeps the setting itself, rather than silently doing
// nothing.
func (d *decoder) checkShadowed(root *yaml.Node, o Override) {
	if len(o.Path) != 2 || o.Path[0] != "defaults" || !slices.Contains(gridKeys, o.Path[1]) {
		return
	}
	sweeps := lookup(root, "sweeps")
	if sweeps == nil || sweeps.Kind != yaml.MappingNode || len(sweeps.Content) == 0 {
		return
	}
	key := o.Path[1]
	var where []string
	for i := 0; i+1 < len(sweeps.Content); i += 2 {
		name, sw := sweeps.Content[i].Value, yamlfile.Deref(sweeps.Content[i+1])
		found := ""
		for _, part := range []string{"set", "grid"} {
			if m := lookup(sw, part); m != nil && lookup(m, key) != nil {
				found = "sweeps." + name + "." + part + "." + key
			}
		}
		if found == "" {
			return
		}
		where = append(where, found)
	}
	d.Errs = append(d.Errs, &Error{File: o.Arg, Field: strings.Join(o.Path, "."),
		Msg: fmt.Sprintf("no run gets this default: every sweep gives %s itself (%s); override one with -S %s=VALUE, or all with -m %s=VALUE,...", key, strings.Join(where, ", "), where[0], key)})
}

// setPath sets the value at the dotted path under m, creating mappings on
// the way. Aliased mappings are copied first, so that an override of one
// place does not change every place that refers to the same anchor.
func (d *decoder) setPath(m *yaml.Node, path []string, value *yaml.Node, at origin) error {
	for i, key := range path {
		last := i == len(path)-1
		cur := lookup(m, key)
		if last {
			if cur == nil {
				k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}
				d.claim(k, at)
				m.Content = append(m.Content, k, value)
			} else {
				replace(m, key, value)
			}
			return nil
		}
		switch {
		case cur == nil && i == 1 && path[0] == "sweeps":
			// A misspelt sweep would otherwise become a new one.
			return fmt.Errorf("%s", yamlfile.UnknownMsg("sweep", key, mappingKeys(m)))
		case cur == nil:
			k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}
			cur = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			d.claim(k, at)
			d.claim(cur, at)
			m.Content = append(m.Content, k, cur)
		case yamlfile.IsNull(yamlfile.Deref(cur)):
			fresh := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			d.claim(fresh, at)
			replace(m, key, fresh)
			cur = fresh
		case yamlfile.Deref(cur).Kind == yaml.MappingNode:
			cur = ownMapping(cur)
			replace(m, key, cur)
		default:
			return fmt.Errorf("%s is %s, not a mapping that %s could go into", strings.Join(path[:i+1], "."), yamlfile.Describe(cur), path[i+1])
		}
		m = cur
	}
	return nil
}

// lookup returns the value of key in mapping m (following an alias), or nil.
func lookup(m *yaml.Node, key string) *yaml.Node {
	m = yamlfile.Deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := yamlfile.Deref(m.Content[i]); k.Kind == yaml.ScalarNode && k.Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// mappingKeys lists the keys of mapping m.
func mappingKeys(m *yaml.Node) []string {
	var keys []string
	for i := 0; i+1 < len(m.Content); i += 2 {
		keys = append(keys, yamlfile.Deref(m.Content[i]).Value)
	}
	return keys
}

// replace sets the value of the existing key in m.
func replace(m *yaml.Node, key string, value *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := yamlfile.Deref(m.Content[i]); k.Kind == yaml.ScalarNode && k.Value == key {
			m.Content[i+1] = value
		}
	}
}

// remove deletes key from mapping m.
func remove(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := yamlfile.Deref(m.Content[i]); k.Kind == yaml.ScalarNode && k.Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

// ownMapping returns n itself, or for an alias or an anchor a shallow copy
// of the mapping, which can be edited without touching what other places
// of the file refer to.
func ownMapping(n *yaml.Node) *yaml.Node {
	if n == nil || (n.Kind != yaml.AliasNode && n.Anchor == "") {
		return n
	}
	target := yamlfile.Deref(n)
	c := *target
	c.Anchor = ""
	c.Content = append([]*yaml.Node(nil), target.Content...)
	return &c
}

// cloneNode copies a tree, so that one override value placed in several
// sweeps is several nodes.
func cloneNode(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c.Content[i] = cloneNode(k)
	}
	return &c
}

// Args returns the overrides as the command line gave them, for records
// such as sweeps.json.
func Args(overrides []Override) []string {
	out := make([]string, len(overrides))
	for i, o := range overrides {
		out[i] = o.Arg
	}
	return out
}
