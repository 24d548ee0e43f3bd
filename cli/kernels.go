package cli

import (
	"fmt"
	"io"

	"convlab/arch/kernels"
)

// kernelsOK reports whether the kernel path asked for in CONVLAB_KERNELS,
// if any, is one this CPU runs; if not it says so on stderr. Running
// anyway on another path would train results that differ from the ones
// asked for, bit for bit.
func kernelsOK(stderr io.Writer) bool {
	if err := kernels.EnvError(); err != nil {
		fmt.Fprintf(stderr, "convlab: %v\n", err)
		return false
	}
	return true
}
