package cli

import (
	"io"

	"convlab/runner/dataset"
	"convlab/runner/progress/live"
)

// The CIFAR-10 download draws its live bar with the runs' progress
// library; the data set package links no terminal code of its own.
func init() {
	dataset.TerminalBar = func(w io.Writer, name string, total int64) dataset.Bar {
		return live.NewDownloadBar(w, name, total)
	}
}
