package cli

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"convlab/arch"
	"convlab/runner/dataset"
	"convlab/runner/spec"
)

var cmdSummary = &command{
	name:  "summary",
	usage: "[flags] ARCH|FILE...",
	short: "print the Keras-style summary of architectures",
	long: `Summary prints a table in the style of Keras' model.summary(): each layer
with its output shape and parameter count, then the totals. An argument is
a preset name (` + strings.Join(arch.PresetNames(), ", ") + `) or an experiment
file, whose every distinct architecture is summarised.`,
	setup: bind(runSummary),
}

// summaryOptions are the flags of summary.
type summaryOptions struct {
	input string
}

func (o *summaryOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.input, "input", "32x32x3", "input shape HxWxC for presets (Fashion-MNIST is 28x28x1)")
}

func runSummary(e *env, opts *summaryOptions, args []string) error {
	if len(args) == 0 {
		return usagef("no architecture or file given")
	}
	in, err := parseShape(opts.input)
	if err != nil {
		return usagef("--input: %v", err)
	}
	for i, a := range args {
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		if p, err := arch.Preset(a); err == nil {
			s, err := arch.Summary(p, in)
			if err != nil {
				return err
			}
			fmt.Fprint(e.stdout, s)
			continue
		}
		if _, err := os.Stat(a); err != nil {
			return usagef("%q is neither a preset (%s) nor an experiment file", a, strings.Join(arch.PresetNames(), ", "))
		}
		plan, err := spec.Load(a)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, r := range plan.Runs {
			key := r.Arch.Name + "|" + r.Dataset
			if seen[key] {
				continue
			}
			seen[key] = true
			shape, err := datasetShape(r.Dataset)
			if err != nil {
				return err
			}
			s, err := arch.Summary(r.Network(), shape)
			if err != nil {
				return err
			}
			if len(seen) > 1 {
				fmt.Fprintln(e.stdout)
			}
			fmt.Fprintf(e.stdout, "%s on %s\n%s", r.Arch.Name, r.Dataset, s)
		}
	}
	return nil
}

// parseShape reads HxWxC (Keras order) into an arch.Shape.
func parseShape(s string) (arch.Shape, error) {
	var h, w, c int
	if _, err := fmt.Sscanf(s, "%dx%dx%d", &h, &w, &c); err != nil || h < 1 || w < 1 || c < 1 {
		return arch.Shape{}, fmt.Errorf("invalid shape %q: want HxWxC such as 32x32x3", s)
	}
	return arch.Shape{C: c, H: h, W: w}, nil
}

// datasetShape is the image shape of a registered data set.
func datasetShape(name string) (arch.Shape, error) {
	info, err := dataset.Lookup(name)
	if err != nil {
		return arch.Shape{}, err
	}
	return arch.Shape{C: info.C, H: info.H, W: info.W}, nil
}
