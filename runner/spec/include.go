package spec

import (
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"convlab/internal/yamlfile"
)

// includeKey lists files whose defaults, architectures and sweeps an
// experiment file builds on:
//
//	include: [base.yaml, more.yaml]   # relative to the including file
//
// The files are merged in order, then the including file on top, as
// Hydra composes configs: mappings merge key by key (a sweep of the same
// name merges with the included one, its set: key by key), anything else
// (a value, a list, a layer list) is replaced whole. The name: and
// description: of an included file are its own and are not merged. An
// included file may include others; a file that includes itself, directly
// or not, is an error. Errors in an included file name the chain, e.g.
// "mine.yaml includes base.yaml:4:3: ...".
const includeKey = "include"

// resolveIncludes returns the root mapping of the file at path with its
// include: resolved and removed. chain holds the absolute paths of the
// files that include this one, outermost first, to find cycles.
func (d *decoder) resolveIncludes(root *yaml.Node, path string, chain []string) *yaml.Node {
	root = yamlfile.Deref(root)
	if root == nil || root.Kind != yaml.MappingNode {
		return root
	}
	var list *yaml.Node
	own := &yaml.Node{}
	*own = *root
	own.Content = nil
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := yamlfile.Deref(root.Content[i]); k.Kind == yaml.ScalarNode && k.Value == includeKey {
			list = root.Content[i+1]
			continue
		}
		own.Content = append(own.Content, root.Content[i], root.Content[i+1])
	}
	if list == nil {
		return root
	}
	items := []*yaml.Node{yamlfile.Deref(list)}
	if l := yamlfile.Deref(list); l != nil && l.Kind == yaml.SequenceNode {
		items = l.Content
	} else if yamlfile.IsNull(l) {
		items = nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	chain = append(chain[:len(chain):len(chain)], abs)
	var merged *yaml.Node
	for i, item := range items {
		field := includeKey
		if yamlfile.Deref(list).Kind == yaml.SequenceNode {
			field = yamlfile.Index(includeKey, i)
		}
		name, ok := d.Text(item, field)
		if !ok {
			continue
		}
		inc := d.readInclude(item, field, name, path, chain)
		if inc == nil {
			continue
		}
		if merged == nil {
			merged = inc
		} else {
			merged = mergeNodes(merged, inc)
		}
	}
	if merged == nil {
		return own
	}
	return mergeNodes(merged, own)
}

// readInclude reads, checks and resolves one included file, returning its
// root mapping without the keys that are not merged, or nil when it
// cannot be used (the problem recorded).
func (d *decoder) readInclude(item *yaml.Node, field, name, from string, chain []string) *yaml.Node {
	if strings.TrimSpace(name) == "" {
		d.Errorf(item, field, "empty file name; list the files to include, e.g. include: [base.yaml]")
		return nil
	}
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(from), name)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	for i, c := range chain {
		if c == abs {
			names := make([]string, 0, len(chain)-i+1)
			for _, p := range chain[i:] {
				names = append(names, filepath.Base(p))
			}
			names = append(names, filepath.Base(abs))
			d.Errorf(item, field, "%s is already being included: an include cycle (%s)", name, strings.Join(names, " includes "))
			return nil
		}
	}
	if fi, serr := os.Stat(path); serr == nil && !fi.Mode().IsRegular() {
		d.Errorf(item, field, "%s is not a regular file; include experiment files (YAML)", path)
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		msg := err.Error()
		if pe, ok := err.(*os.PathError); ok {
			msg = pe.Err.Error()
		}
		d.Errorf(item, field, "cannot read %s: %s (include paths are relative to the including file)", path, msg)
		return nil
	}
	sub := &decoder{yamlfile.Decoder{File: d.File + " includes " + path, Empty: emptyFile, Origin: d.Origin}}
	root := sub.Document(data)
	if root != nil {
		if kind, kindNode := sub.kind(root); kind == KindConvolution {
			sub.Errorf(kindNode, "kind", "a convolution experiment cannot be included in a training experiment")
		}
	}
	if root != nil && len(sub.Errs) == 0 {
		root = sub.resolveIncludes(root, path, chain)
	}
	d.Origin = sub.Origin
	d.Errs = append(d.Errs, sub.Errs...)
	if root == nil || len(sub.Errs) > 0 {
		return nil
	}
	d.claim(root, origin{Name: sub.File, Path: path})
	out := &yaml.Node{}
	*out = *root
	out.Content = nil
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch yamlfile.Deref(root.Content[i]).Value {
		case "name", "description", "kind":
			continue // the included file's own, not the including file's
		}
		out.Content = append(out.Content, root.Content[i], root.Content[i+1])
	}
	return out
}

// mergeNodes merges over onto base: two mappings key by key, recursively,
// over's keys winning and new ones appended; anything else is over. Merge
// keys (<<) are kept from both. Neither input is changed.
func mergeNodes(base, over *yaml.Node) *yaml.Node {
	b, o := yamlfile.Deref(base), yamlfile.Deref(over)
	if b == nil || o == nil || b.Kind != yaml.MappingNode || o.Kind != yaml.MappingNode {
		return over
	}
	out := &yaml.Node{}
	*out = *o // over's position, for errors about the mapping itself
	out.Anchor = ""
	out.Content = append([]*yaml.Node(nil), b.Content...)
	for i := 0; i+1 < len(o.Content); i += 2 {
		k, v := o.Content[i], o.Content[i+1]
		kd := yamlfile.Deref(k)
		at := -1
		if kd.ShortTag() != "!!merge" {
			for j := 0; j+1 < len(out.Content); j += 2 {
				if ok := yamlfile.Deref(out.Content[j]); ok.Kind == yaml.ScalarNode && ok.ShortTag() != "!!merge" && ok.Value == kd.Value {
					at = j
					break
				}
			}
		}
		if at < 0 {
			out.Content = append(out.Content, k, v)
			continue
		}
		out.Content[at], out.Content[at+1] = k, mergeNodes(out.Content[at+1], v)
	}
	return out
}
