package spec

import (
	"os"

	"gopkg.in/yaml.v3"

	"convlab/internal/yamlfile"
)

// Experiment kinds: the top-level kind: of a file says which part of
// convlab runs it.
const (
	// KindTraining files declare training runs and sweeps; Load reads them.
	KindTraining = "training"
	// KindConvolution files declare Part i's hand-written convolution
	// (Figure 1); `convlab conv` runs them.
	KindConvolution = "convolution"
)

// Kinds lists the valid values of kind:.
var Kinds = []string{KindTraining, KindConvolution}

// Kind reads the experiment file at path and returns its kind: KindTraining
// when the file has no kind: key, else the key's value. It only checks the
// kind: key (and that the file is a YAML mapping), so that a caller can
// dispatch the file to the package that validates the rest.
func Kind(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", Errors{yamlfile.ReadError(path, err)}
	}
	return KindOf(path, data)
}

// KindOf is Kind for a file already read; path names it in errors.
func KindOf(path string, data []byte) (string, error) {
	d := newDecoder(path)
	root := d.Document(data)
	if root == nil {
		return "", d.Errs
	}
	kind, _ := d.kind(root)
	if len(d.Errs) > 0 {
		return "", d.Errs
	}
	return kind, nil
}

// kind finds and checks the top-level kind: of a document; its node is nil
// when the key is absent.
func (d *decoder) kind(root *yaml.Node) (string, *yaml.Node) {
	root = yamlfile.Deref(root)
	if root.Kind != yaml.MappingNode {
		d.Errorf(root, "", "an experiment file must be a YAML mapping (name:, defaults:, sweeps:, ...), got %s", yamlfile.Describe(root))
		return "", nil
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := yamlfile.Deref(root.Content[i]); k.Kind == yaml.ScalarNode && k.Value == "kind" {
			v := root.Content[i+1]
			s, ok := d.Text(v, "kind")
			if !ok {
				return "", v
			}
			for _, valid := range Kinds {
				if s == valid {
					return s, v
				}
			}
			d.Errorf(v, "kind", "%s", yamlfile.UnknownMsg("kind", s, Kinds))
			return "", v
		}
	}
	return KindTraining, nil
}
