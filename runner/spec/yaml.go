package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder turns yaml.Node trees into values, recording every problem as an
// *Error located at the offending node.
type decoder struct {
	file string
	errs Errors
	// merged counts the pairs brought in by merge keys, to stop anchors
	// that merge each other from growing exponentially.
	merged int
	// origin holds the nodes that came from elsewhere than file: an
	// included file or a command-line override (see claim).
	origin map[*yaml.Node]origin
	// empty says what the file should hold, for the message for an empty
	// file; "" is an experiment file's.
	empty string
}

// maxMerged caps the pairs merge keys may bring into one file.
const maxMerged = 10000

func (d *decoder) errorAt(n *yaml.Node, field, format string, args ...any) {
	e := &Error{File: d.file, Field: field, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
		if o, ok := d.origin[n]; ok {
			e.File = o.name
			if o.arg {
				e.Line, e.Column = 0, 0
			}
		}
	}
	d.errs = append(d.errs, e)
}

var yamlLineErr = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseDocument parses data as a single YAML document and returns its root
// node, or nil with the problem recorded. An empty document yields nil
// without an error recorded only when allowEmpty.
func (d *decoder) parseDocument(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.emptyFile()
			return nil
		}
		d.syntaxError(err, data)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.errorAt(&extra, "", "a second YAML document (after ---); an experiment file holds exactly one")
		return nil
	} else if !errors.Is(err, io.EOF) {
		d.syntaxError(err, data)
		return nil
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			d.emptyFile()
			return nil
		}
		root = root.Content[0]
	}
	return root
}

// emptyFile records that the file holds no document.
func (d *decoder) emptyFile() {
	want := d.empty
	if want == "" {
		want = "an experiment file is a YAML mapping of defaults and sweeps"
	}
	d.errs = append(d.errs, &Error{File: d.file, Msg: "the file is empty; " + want})
}

// syntaxError records a YAML parse error, keeping its line when it has one.
// yaml.v3 gives no column, and no line for a problem on the first line or
// sometimes the line before the culprit; for a character that cannot
// start a token (a tab, @ or `) the culprit is found in data instead, so
// the error still points at FILE:LINE:COL and says what to write.
func (d *decoder) syntaxError(err error, data []byte) {
	msg := err.Error()
	line := 0
	if m := yamlLineErr.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	e := &Error{File: d.file, Line: line, Msg: "invalid YAML: " + msg, Err: err}
	if strings.Contains(msg, "cannot start any token") || strings.Contains(msg, "tab character") {
		if l, c, ch, ok := badTokenStart(data, max(line, 1)); ok {
			e.Line, e.Column = l, c
			if ch == '\t' {
				e.Msg = "invalid YAML: a tab character; YAML indents with spaces only, replace the tab with spaces"
			} else {
				e.Msg = fmt.Sprintf("invalid YAML: %q cannot start a value; put the value in quotes", ch)
			}
		}
	}
	d.errs = append(d.errs, e)
}

// badTokenStart finds, from line from (1-based) on, the first line with a
// character YAML's scanner rejects at the start of a token: @ or ` (reserved
// indicators), else a tab. It returns its 1-based line and column.
func badTokenStart(data []byte, from int) (line, col int, ch rune, ok bool) {
	lines := strings.Split(string(data), "\n")
	for i := from - 1; i >= 0 && i < len(lines); i++ {
		l := lines[i]
		if j := strings.IndexAny(l, "@`"); j >= 0 {
			return i + 1, len([]rune(l[:j])) + 1, rune(l[j]), true
		}
		if j := strings.IndexByte(l, '\t'); j >= 0 {
			return i + 1, len([]rune(l[:j])) + 1, '\t', true
		}
	}
	return 0, 0, 0, false
}

// deref follows aliases (*name) to the node they stand for.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// entry is one key: value pair of a mapping.
type entry struct {
	key  *yaml.Node
	val  *yaml.Node
	name string
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// mapping returns the pairs of a mapping node in file order, reporting
// duplicate and non-string keys and resolving merge keys (<<: *anchor). A
// null node is an empty mapping. ok is false when n is not a mapping.
func (d *decoder) mapping(n *yaml.Node, field, want string) (entries []entry, ok bool) {
	n = deref(n)
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.MappingNode {
		d.errorAt(n, field, "must be %s, got %s", want, describe(n))
		return nil, false
	}
	seen := map[string]*yaml.Node{}
	var merged []entry
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		kd := deref(k)
		if kd.Kind != yaml.ScalarNode || (kd.ShortTag() != "!!str" && kd.ShortTag() != "!!merge" && kd.ShortTag() != "!!int" && kd.ShortTag() != "!!float" && kd.ShortTag() != "!!bool") {
			d.errorAt(k, field, "keys must be plain names, got %s", describe(kd))
			continue
		}
		if kd.ShortTag() == "!!merge" {
			merged = append(merged, d.mergeEntries(v, field, want)...)
			continue
		}
		if first, dup := seen[kd.Value]; dup {
			d.errorAt(k, join(field, kd.Value), "duplicate key; first set at line %d:%d", first.Line, first.Column)
			continue
		}
		seen[kd.Value] = k
		entries = append(entries, entry{key: k, val: v, name: kd.Value})
	}
	// Merged keys fill in what the mapping does not set itself, first merge wins.
	for _, e := range merged {
		if _, dup := seen[e.name]; dup {
			continue
		}
		seen[e.name] = e.key
		entries = append(entries, e)
	}
	return entries, true
}

// mergeEntries returns the pairs a merge key (<<) brings in: one mapping or
// a list of mappings.
func (d *decoder) mergeEntries(v *yaml.Node, field, want string) []entry {
	v = deref(v)
	var sources []*yaml.Node
	switch v.Kind {
	case yaml.MappingNode:
		sources = []*yaml.Node{v}
	case yaml.SequenceNode:
		sources = v.Content
	default:
		d.errorAt(v, join(field, "<<"), "a merge key needs a mapping or a list of mappings, got %s", describe(v))
		return nil
	}
	var out []entry
	for _, s := range sources {
		s = deref(s)
		if s.Kind != yaml.MappingNode {
			d.errorAt(s, join(field, "<<"), "a merge key needs a mapping or a list of mappings, got %s", describe(s))
			continue
		}
		if d.merged += len(s.Content) / 2; d.merged > maxMerged {
			d.errorAt(s, join(field, "<<"), "merge keys bring in more than %d settings; simplify the anchors", maxMerged)
			return out
		}
		es, _ := d.mapping(s, field, want)
		out = append(out, es...)
	}
	return out
}

// describe names what a node holds, for "got ..." in messages.
func describe(n *yaml.Node) string {
	n = deref(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "no value"
		case "!!str":
			return "the text " + quote(n.Value)
		case "!!int", "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		default:
			return n.ShortTag() + " " + quote(n.Value)
		}
	}
	return "an unexpected YAML node"
}

// quote quotes s for a message, shortening very long values.
func quote(s string) string {
	const maxLen = 60
	if r := []rune(s); len(r) > maxLen {
		s = string(r[:maxLen]) + "..."
	}
	return strconv.Quote(s)
}

// join appends a key to a dotted field path.
func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

// index appends a list index to a field path.
func index(field string, i int) string { return fmt.Sprintf("%s[%d]", field, i) }

// str decodes a string scalar.
func (d *decoder) str(n *yaml.Node, field string) (string, bool) {
	n = deref(n)
	if isNull(n) {
		d.errorAt(n, field, "missing value")
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		d.errorAt(n, field, "must be text, got %s", describe(n))
		return "", false
	}
	return n.Value, true
}

// number decodes an int or float scalar.
func (d *decoder) number(n *yaml.Node, field string) (float64, bool) {
	n = deref(n)
	if isNull(n) {
		d.errorAt(n, field, "missing value")
		return 0, false
	}
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") {
		hint := ""
		if _, err := strconv.ParseFloat(strings.TrimSpace(n.Value), 64); err == nil && n.Kind == yaml.ScalarNode {
			hint = "; write it without quotes"
		}
		d.errorAt(n, field, "must be a number, got %s%s", describe(n), hint)
		return 0, false
	}
	var f float64
	if err := n.Decode(&f); err != nil {
		d.errorAt(n, field, "must be a number, got %s", describe(n))
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		d.errorAt(n, field, "must be a finite number, got %s", n.Value)
		return 0, false
	}
	if f == 0 {
		f = 0 // no negative zero: it would hash differently from 0
	}
	return f, true
}

// integer decodes a whole number; 5e3 is accepted as 5000, 2.5 is not.
func (d *decoder) integer(n *yaml.Node, field string) (int64, bool) {
	n = deref(n)
	if !isNull(n) && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
		var i int64
		if err := n.Decode(&i); err != nil {
			d.errorAt(n, field, "must be a whole number that fits in 64 bits, got %s", n.Value)
			return 0, false
		}
		return i, true
	}
	if !isNull(n) && (n.Kind != yaml.ScalarNode || n.ShortTag() != "!!float") {
		hint := ""
		if _, err := strconv.ParseInt(strings.TrimSpace(n.Value), 10, 64); err == nil && n.Kind == yaml.ScalarNode {
			hint = "; write it without quotes"
		}
		d.errorAt(n, field, "must be a whole number, got %s%s", describe(n), hint)
		return 0, false
	}
	f, ok := d.number(n, field)
	if !ok {
		return 0, false
	}
	if math.Abs(f) > 1<<53 {
		d.errorAt(n, field, "%s is too large; valid: whole numbers of at most %d", n.Value, int64(1<<53))
		return 0, false
	}
	if f != math.Trunc(f) {
		d.errorAt(n, field, "must be a whole number, got %s", n.Value)
		return 0, false
	}
	return int64(f), true
}

// sequence returns the items of a list node.
func (d *decoder) sequence(n *yaml.Node, field, want string) ([]*yaml.Node, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		d.errorAt(n, field, "must be %s, got %s", want, describe(n))
		return nil, false
	}
	return n.Content, true
}
