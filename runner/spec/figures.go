package spec

import (
	"slices"

	"gopkg.in/yaml.v3"

	"convlab/internal/yamlfile"
)

// FigureFormats are the file formats the report can write its figures in
// (figures: {formats: [...]}). PNG is always written, for REPORT.md; SVG
// and PDF are vector copies beside each PNG.
var FigureFormats = []string{"png", "svg", "pdf"}

var figuresKeys = []string{"formats"}

// parseFigures decodes the figures: mapping, e.g. {formats: [png, svg]}.
func (fs *fileSpec) parseFigures(n *yaml.Node) {
	d := fs.d
	entries, _ := d.Mapping(n, "figures", "a mapping such as {formats: [png, svg]}")
	for _, e := range entries {
		if e.Name != "formats" {
			d.unknownKey(e, "figures", figuresKeys)
			continue
		}
		items, ok := d.List(e.Value, "figures.formats", "a list of formats such as [png, svg]")
		if !ok {
			continue
		}
		for i, it := range items {
			field := yamlfile.Index("figures.formats", i)
			v, ok := d.Text(it, field)
			if !ok {
				continue
			}
			switch {
			case !slices.Contains(FigureFormats, v):
				d.Errorf(it, field, "%s", yamlfile.UnknownMsg("figure format", v, FigureFormats))
			case slices.Contains(fs.formats, v):
				d.Errorf(it, field, "format %s is listed twice", v)
			default:
				fs.formats = append(fs.formats, v)
			}
		}
	}
}
