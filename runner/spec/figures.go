package spec

import (
	"slices"

	"gopkg.in/yaml.v3"
)

// FigureFormats are the file formats the report can write its figures in
// (figures: {formats: [...]}). PNG is always written, for REPORT.md; SVG
// and PDF are vector copies beside each PNG.
var FigureFormats = []string{"png", "svg", "pdf"}

var figuresKeys = []string{"formats"}

// parseFigures decodes the figures: mapping, e.g. {formats: [png, svg]}.
func (fs *fileSpec) parseFigures(n *yaml.Node) {
	d := fs.d
	entries, _ := d.mapping(n, "figures", "a mapping such as {formats: [png, svg]}")
	for _, e := range entries {
		if e.name != "formats" {
			d.unknownKey(e, "figures", figuresKeys)
			continue
		}
		items, ok := d.sequence(e.val, "figures.formats", "a list of formats such as [png, svg]")
		if !ok {
			continue
		}
		for i, it := range items {
			field := index("figures.formats", i)
			v, ok := d.str(it, field)
			if !ok {
				continue
			}
			switch {
			case !slices.Contains(FigureFormats, v):
				d.errorAt(it, field, "%s", unknownMsg("figure format", v, FigureFormats))
			case slices.Contains(fs.formats, v):
				d.errorAt(it, field, "format %s is listed twice", v)
			default:
				fs.formats = append(fs.formats, v)
			}
		}
	}
}
