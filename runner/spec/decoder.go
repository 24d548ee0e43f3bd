package spec

import (
	"os"

	"gopkg.in/yaml.v3"
)

// Decoder reads a YAML file of another experiment kind (convolution) with
// the decoder of training files: the same FILE:LINE:COL *Error, the same
// handling of aliases, merge keys, duplicate keys and second documents,
// and the same wording of every message, so that a user meets one
// convention whatever kind of file is wrong.
type Decoder struct{ d decoder }

// NewDecoder returns a decoder for the file path; empty ends the message
// for an empty file with what the file should hold, e.g. "a convolution
// file is a YAML mapping of kind, image and kernels".
func NewDecoder(path, empty string) *Decoder {
	return &Decoder{decoder{file: path, empty: empty}}
}

// ReadFile reads an experiment file, failing with an Errors that names it.
func ReadFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, Errors{readError(path, err)}
	}
	return data, nil
}

// Entry is one key: value pair of a mapping; Name is the key's text.
type Entry struct {
	Key, Value *yaml.Node
	Name       string
}

// Document parses data as exactly one YAML document and returns its root,
// or nil with the problem recorded.
func (d *Decoder) Document(data []byte) *yaml.Node { return d.d.parseDocument(data) }

// Mapping returns the pairs of a mapping in file order, with merge keys
// resolved and duplicate or non-name keys reported; want words what n must
// be for the "must be WANT, got ..." message. A null node is empty.
func (d *Decoder) Mapping(n *yaml.Node, field, want string) ([]Entry, bool) {
	es, ok := d.d.mapping(n, field, want)
	out := make([]Entry, len(es))
	for i, e := range es {
		out[i] = Entry{Key: e.key, Value: e.val, Name: e.name}
	}
	return out, ok
}

// List returns the items of a list, following aliases.
func (d *Decoder) List(n *yaml.Node, field, want string) ([]*yaml.Node, bool) {
	return d.d.sequence(n, field, want)
}

// Text decodes a string scalar.
func (d *Decoder) Text(n *yaml.Node, field string) (string, bool) { return d.d.str(n, field) }

// Number decodes a finite int or float scalar.
func (d *Decoder) Number(n *yaml.Node, field string) (float64, bool) { return d.d.number(n, field) }

// Errorf records a problem at n (nil: the whole file) in the setting field.
func (d *Decoder) Errorf(n *yaml.Node, field, format string, args ...any) {
	d.d.errorAt(n, field, format, args...)
}

// Unknown records got, found at n, as not one of valid: the "unknown WHAT
// "got" (did you mean ...?); valid: ..." of every file kind.
func (d *Decoder) Unknown(n *yaml.Node, field, what, got string, valid []string) {
	d.d.errorAt(n, field, "%s", unknownMsg(what, got, valid))
}

// UnknownMsg words the problem of a name got that is not one of valid, as
// Unknown records it, for a check made after decoding.
func UnknownMsg(what, got string, valid []string) string { return unknownMsg(what, got, valid) }

// Err returns the problems recorded, in file order, or nil.
func (d *Decoder) Err() error {
	if len(d.d.errs) == 0 {
		return nil
	}
	return d.d.errs.sorted(nil)
}

// Describe names what a node holds, for the "got ..." of a message.
func Describe(n *yaml.Node) string { return describe(n) }

// Quote quotes a value for a message, shortening a very long one.
func Quote(s string) string { return quote(s) }

// IsSafeName reports whether s can name a results directory or file:
// letters, digits, '_', '.' and '-', starting with a letter or digit.
func IsSafeName(s string) bool { return safeName.MatchString(s) }

// SafeNameRule words IsSafeName's rule for the "valid: ..." of a message.
const SafeNameRule = safeNameRule

// Deref follows aliases (*name) to the node they stand for.
func Deref(n *yaml.Node) *yaml.Node { return deref(n) }
