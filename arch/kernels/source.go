package kernels

import "embed"

// Source is this package's source, embedded so that the training code's
// identity in every run's cache key is derived from it (runner/codeversion).
//
//go:embed *.go *.s *.h
var Source embed.FS
