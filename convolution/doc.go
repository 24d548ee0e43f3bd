// Package convolution is the experiment kind of part i of the study, whole:
// its file format (kind: convolution) and validation, the hand-written
// 2-D convolution (Convolve), its execution and its outputs. It loads a
// colour photo, splits it into its red, green and blue channels, convolves
// the chosen channel(s) with each named kernel and writes every result,
// plus Figure 1 (one grey-scale picture: top row R, G, B; below, the
// channel and its convolutions, each labelled with its kernel's values in
// the report's figure font), as PNG files.
//
// The file format:
//
//	kind: convolution
//	name: figure1                 # output directory RESULTS/figure1/
//	image: images/chelsea.png     # relative to this file; PNG or JPEG
//	channel: blue                 # red, green or blue; or channels: [red, blue]
//	kernels:                      # name -> square kernel of odd size, in order
//	  kernel_1: [[-1,-1,-1],[-1,8,-1],[-1,-1,-1]]
//	  kernel_2: [[0,-1,0],[-1,8,-1],[0,-1,0]]
//
// Decoding is strict and uses the YAML decoder of training files
// (internal/yamlfile): unknown keys, wrong types and impossible kernels are
// reported as *yamlfile.Error values (FILE:LINE:COL: field: message) worded
// as for training files, and anchors, aliases and merge keys work the same
// way. name defaults to the file's base name and channel to blue.
package convolution
