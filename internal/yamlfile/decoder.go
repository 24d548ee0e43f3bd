// Package yamlfile decodes the YAML of every convlab file kind (training
// and convolution experiments) into values, recording each problem as an
// *Error at FILE:LINE:COL and going on, so that a user fixes every problem
// in one pass. One decoder serves every kind, so that the same mistake
// (a duplicate key, a second document, a quoted number, a typo) is
// reported in the same words whatever file it is in.
package yamlfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Decoder turns yaml.Node trees into values, recording every problem as an
// *Error located at the offending node.
type Decoder struct {
	File string
	Errs Errors
	// Origin holds the nodes that came from elsewhere than File: an
	// included file or a command-line override.
	Origin map[*yaml.Node]Origin
	// Empty says what the file should hold, ending the message for an
	// empty file, e.g. "a convolution file is a YAML mapping of kind,
	// image and kernels".
	Empty string
	// merged counts the pairs brought in by merge keys, to stop anchors
	// that merge each other from growing exponentially.
	merged int
}

// Origin says where a node of a file's tree came from when it is not the
// file itself: an included file or a command-line override.
type Origin struct {
	// Name is what errors give as the file: "mine.yaml includes
	// base.yaml", or the argument "-S epochs=0".
	Name string
	// Path is the file the node was read from, the base of a relative
	// path in it; empty for an argument (relative to the working
	// directory).
	Path string
	// Arg marks a command-line argument, which has no line and column.
	Arg bool
}

// ReadFile reads a file to decode, failing with an Errors that names it.
func ReadFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, Errors{ReadError(path, err)}
	}
	return data, nil
}

// ReadError is the problem of a file that cannot be read, without the
// file name os repeats.
func ReadError(path string, err error) *Error {
	msg := err.Error()
	var pe *os.PathError
	if errors.As(err, &pe) {
		msg = pe.Err.Error()
	}
	return &Error{File: path, Msg: "cannot read the experiment file: " + msg, Err: err}
}

// Err returns the problems recorded, in file order, or nil.
func (d *Decoder) Err() error {
	if len(d.Errs) == 0 {
		return nil
	}
	return d.Errs.Sorted(nil)
}

// maxMerged caps the pairs merge keys may bring into one file.
const maxMerged = 10000

var safeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// IsSafeName reports whether s can name a results directory or file, as
// the names of experiments, sweeps, architectures and kernels do: letters,
// digits, '_', '.' and '-', starting with a letter or digit.
func IsSafeName(s string) bool { return safeName.MatchString(s) }

// SafeNameRule words IsSafeName's rule for the "valid: ..." of a message.
const SafeNameRule = "letters, digits, '_', '.' and '-', starting with a letter or digit"

// Errorf records a problem at n (nil: the whole file) in the setting
// field, the dotted path of the setting ("" for the whole file).
func (d *Decoder) Errorf(n *yaml.Node, field, format string, args ...any) {
	e := &Error{File: d.File, Field: field, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
		if o, ok := d.Origin[n]; ok {
			e.File = o.Name
			if o.Arg {
				e.Line, e.Column = 0, 0
			}
		}
	}
	d.Errs = append(d.Errs, e)
}

// Unknown records got, found at n, as not one of valid: the "unknown WHAT
// "got" (did you mean ...?); valid: ..." of every file kind.
func (d *Decoder) Unknown(n *yaml.Node, field, what, got string, valid []string) {
	d.Errorf(n, field, "%s", UnknownMsg(what, got, valid))
}

var yamlLineErr = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Document parses data as exactly one YAML document and returns its root
// node, or nil with the problem recorded.
func (d *Decoder) Document(data []byte) *yaml.Node {
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
		d.Errorf(&extra, "", "a second YAML document (after ---); an experiment file holds exactly one")
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
func (d *Decoder) emptyFile() {
	d.Errs = append(d.Errs, &Error{File: d.File, Msg: "the file is empty; " + d.Empty})
}

// syntaxError records a YAML parse error, keeping its line when it has one.
// yaml.v3 gives no column, and no line for a problem on the first line or
// sometimes the line before the culprit; for a character that cannot
// start a token (a tab, @ or `) the culprit is found in data instead, so
// the error still points at FILE:LINE:COL and says what to write.
func (d *Decoder) syntaxError(err error, data []byte) {
	msg := err.Error()
	line := 0
	if m := yamlLineErr.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	e := &Error{File: d.File, Line: line, Msg: "invalid YAML: " + msg, Err: err}
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
	d.Errs = append(d.Errs, e)
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

// Deref follows aliases (*name) to the node they stand for.
func Deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// Entry is one key: value pair of a mapping; Name is the key's text.
type Entry struct {
	Key, Value *yaml.Node
	Name       string
}

// IsNull reports whether n is absent or holds no value.
func IsNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// Mapping returns the pairs of a mapping node in file order, reporting
// duplicate and non-string keys and resolving merge keys (<<: *anchor); want
// words what n must be for the "must be WANT, got ..." message. A null node
// is an empty mapping. ok is false when n is not a mapping.
func (d *Decoder) Mapping(n *yaml.Node, field, want string) (entries []Entry, ok bool) {
	n = Deref(n)
	if IsNull(n) {
		return nil, true
	}
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, field, "must be %s, got %s", want, Describe(n))
		return nil, false
	}
	seen := map[string]*yaml.Node{}
	var merged []Entry
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		kd := Deref(k)
		if kd.Kind != yaml.ScalarNode || (kd.ShortTag() != "!!str" && kd.ShortTag() != "!!merge" && kd.ShortTag() != "!!int" && kd.ShortTag() != "!!float" && kd.ShortTag() != "!!bool") {
			d.Errorf(k, field, "keys must be plain names, got %s", Describe(kd))
			continue
		}
		if kd.ShortTag() == "!!merge" {
			merged = append(merged, d.mergeEntries(v, field, want)...)
			continue
		}
		if first, dup := seen[kd.Value]; dup {
			d.Errorf(k, Join(field, kd.Value), "duplicate key; first set at line %d:%d", first.Line, first.Column)
			continue
		}
		seen[kd.Value] = k
		entries = append(entries, Entry{Key: k, Value: v, Name: kd.Value})
	}
	// Merged keys fill in what the mapping does not set itself, first merge wins.
	for _, e := range merged {
		if _, dup := seen[e.Name]; dup {
			continue
		}
		seen[e.Name] = e.Key
		entries = append(entries, e)
	}
	return entries, true
}

// mergeEntries returns the pairs a merge key (<<) brings in: one mapping or
// a list of mappings.
func (d *Decoder) mergeEntries(v *yaml.Node, field, want string) []Entry {
	v = Deref(v)
	var sources []*yaml.Node
	switch v.Kind {
	case yaml.MappingNode:
		sources = []*yaml.Node{v}
	case yaml.SequenceNode:
		sources = v.Content
	default:
		d.Errorf(v, Join(field, "<<"), "a merge key needs a mapping or a list of mappings, got %s", Describe(v))
		return nil
	}
	var out []Entry
	for _, s := range sources {
		s = Deref(s)
		if s.Kind != yaml.MappingNode {
			d.Errorf(s, Join(field, "<<"), "a merge key needs a mapping or a list of mappings, got %s", Describe(s))
			continue
		}
		if d.merged += len(s.Content) / 2; d.merged > maxMerged {
			d.Errorf(s, Join(field, "<<"), "merge keys bring in more than %d settings; simplify the anchors", maxMerged)
			return out
		}
		es, _ := d.Mapping(s, field, want)
		out = append(out, es...)
	}
	return out
}

// Describe names what a node holds, for the "got ..." of a message.
func Describe(n *yaml.Node) string {
	n = Deref(n)
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
			return "the text " + Quote(n.Value)
		case "!!int", "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		default:
			return n.ShortTag() + " " + Quote(n.Value)
		}
	}
	return "an unexpected YAML node"
}

// Quote quotes s for a message, shortening very long values.
func Quote(s string) string {
	const maxLen = 60
	if r := []rune(s); len(r) > maxLen {
		s = string(r[:maxLen]) + "..."
	}
	return strconv.Quote(s)
}

// Join appends a key to a dotted field path.
func Join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

// Index appends a list index to a field path.
func Index(field string, i int) string { return fmt.Sprintf("%s[%d]", field, i) }

// Text decodes a string scalar.
func (d *Decoder) Text(n *yaml.Node, field string) (string, bool) {
	n = Deref(n)
	if IsNull(n) {
		d.Errorf(n, field, "missing value")
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		d.Errorf(n, field, "must be text, got %s", Describe(n))
		return "", false
	}
	return n.Value, true
}

// Number decodes a finite int or float scalar.
func (d *Decoder) Number(n *yaml.Node, field string) (float64, bool) {
	n = Deref(n)
	if IsNull(n) {
		d.Errorf(n, field, "missing value")
		return 0, false
	}
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") {
		hint := ""
		if _, err := strconv.ParseFloat(strings.TrimSpace(n.Value), 64); err == nil && n.Kind == yaml.ScalarNode {
			hint = "; write it without quotes"
		}
		d.Errorf(n, field, "must be a number, got %s%s", Describe(n), hint)
		return 0, false
	}
	var f float64
	if err := n.Decode(&f); err != nil {
		d.Errorf(n, field, "must be a number, got %s", Describe(n))
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		d.Errorf(n, field, "must be a finite number, got %s", n.Value)
		return 0, false
	}
	if f == 0 {
		f = 0 // no negative zero: it would hash differently from 0
	}
	return f, true
}

// Integer decodes a whole number; 5e3 is accepted as 5000, 2.5 is not.
func (d *Decoder) Integer(n *yaml.Node, field string) (int64, bool) {
	n = Deref(n)
	if !IsNull(n) && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
		var i int64
		if err := n.Decode(&i); err != nil {
			d.Errorf(n, field, "must be a whole number that fits in 64 bits, got %s", n.Value)
			return 0, false
		}
		return i, true
	}
	if !IsNull(n) && (n.Kind != yaml.ScalarNode || n.ShortTag() != "!!float") {
		hint := ""
		if _, err := strconv.ParseInt(strings.TrimSpace(n.Value), 10, 64); err == nil && n.Kind == yaml.ScalarNode {
			hint = "; write it without quotes"
		}
		d.Errorf(n, field, "must be a whole number, got %s%s", Describe(n), hint)
		return 0, false
	}
	f, ok := d.Number(n, field)
	if !ok {
		return 0, false
	}
	if math.Abs(f) > 1<<53 {
		d.Errorf(n, field, "%s is too large; valid: whole numbers of at most %d", n.Value, int64(1<<53))
		return 0, false
	}
	if f != math.Trunc(f) {
		d.Errorf(n, field, "must be a whole number, got %s", n.Value)
		return 0, false
	}
	return int64(f), true
}

// List returns the items of a list node, following aliases.
func (d *Decoder) List(n *yaml.Node, field, want string) ([]*yaml.Node, bool) {
	n = Deref(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		d.Errorf(n, field, "must be %s, got %s", want, Describe(n))
		return nil, false
	}
	return n.Content, true
}
