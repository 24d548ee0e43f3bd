package spec

import "convlab/internal/yamlfile"

// decoder is the YAML decoder of every file kind, with the steps only
// training files take (includes, overrides, their keys' suggestions).
type decoder struct{ yamlfile.Decoder }

// newDecoder returns a decoder for the experiment file path.
func newDecoder(path string) *decoder {
	return &decoder{yamlfile.Decoder{File: path, Empty: emptyFile}}
}

// emptyFile ends the message for an empty training file.
const emptyFile = "an experiment file is a YAML mapping of defaults and sweeps"

// Error is one problem found in an experiment file, at FILE:LINE:COL.
type Error = yamlfile.Error

// Errors is every problem found while loading experiment files. Load
// returns it whenever anything is wrong, so that a user can fix all of
// them in one pass.
type Errors = yamlfile.Errors

type entry = yamlfile.Entry

type origin = yamlfile.Origin
