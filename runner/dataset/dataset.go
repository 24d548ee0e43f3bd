// Package dataset reads the image data sets convlab trains on and prepares
// them as the study does: the first n training images scaled to [0, 1],
// the last validation fraction held out.
package dataset

// Set is a labelled image set, channels first: image i occupies
// Pixels[i*C*H*W : (i+1)*C*H*W] as C planes of H rows of W bytes.
type Set struct {
	Pixels  []uint8
	Labels  []uint8
	N       int
	C, H, W int
	Classes []string
}

// Size is the number of values in one image.
func (s *Set) Size() int { return s.C * s.H * s.W }
