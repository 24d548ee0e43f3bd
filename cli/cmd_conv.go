package cli

import (
	"flag"
	"fmt"
	"path/filepath"

	"convlab/convolution"
)

var cmdConv = &command{
	name:  "conv",
	usage: "[flags] FILE",
	short: "run part i of the study: hand-written convolution and Figure 1",
	long: `Conv runs an experiment file of kind convolution: it convolves a
photo's channel with each named kernel (zero padding, no kernel flip,
clipped to 0..255) and writes Figure 1 and every result image as PNG into
RESULTS/<name>/.`,
	setup: bind(runConv),
}

// convOptions are the flags of conv.
type convOptions struct {
	resultsDir string
}

func (o *convOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.resultsDir, "results", "results", "directory under which RESULTS/<name>/ is written")
}

func runConv(e *env, opts *convOptions, args []string) error {
	if len(args) != 1 {
		return usagef("want one experiment file, got %d", len(args))
	}
	dir, err := convolution.Run(args[0], opts.resultsDir)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s\n", filepath.Join(dir, "figure1.png"))
	return nil
}
