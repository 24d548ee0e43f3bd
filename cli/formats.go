package cli

import (
	"flag"
	"strings"

	"convlab/report"
)

// formatsFlag is --formats of report and run: the figure formats besides
// PNG, overriding the experiment file's figures.formats.
type formatsFlag struct {
	set     bool
	formats []string
}

func (f *formatsFlag) String() string { return strings.Join(f.formats, ",") }

func (f *formatsFlag) Set(s string) error {
	f.set, f.formats = true, []string{}
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(strings.ToLower(v)); v != "" {
			f.formats = append(f.formats, v)
		}
	}
	return report.CheckFigureFormats(f.formats)
}

func addFormatsFlag(fs *flag.FlagSet) *formatsFlag {
	f := &formatsFlag{}
	fs.Var(f, "formats", "figure formats, comma-separated: png (always written), svg, pdf; overrides the file's figures.formats")
	return f
}

// options are the report options the flag asks for.
func (f *formatsFlag) options() report.Options {
	if !f.set {
		return report.Options{}
	}
	return report.Options{FigureFormats: f.formats}
}
