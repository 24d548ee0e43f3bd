// Package spec loads experiment files, validates them strictly and expands
// their sweeps into the list of runs to train.
package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"convlab/arch"
)

// Optimizer holds the solver settings; the defaults are Keras' Adam.
type Optimizer struct {
	Name         string  `yaml:"name" json:"name"`
	LearningRate float64 `yaml:"learning_rate" json:"learning_rate"`
	Beta1        float64 `yaml:"beta1" json:"beta1"`
	Beta2        float64 `yaml:"beta2" json:"beta2"`
	Epsilon      float64 `yaml:"epsilon" json:"epsilon"`
}

// DefaultOptimizer is Keras' Adam with its default settings.
func DefaultOptimizer() Optimizer {
	return Optimizer{Name: "adam", LearningRate: 0.001, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7}
}

// Run is one fully resolved training run: everything that determines its
// result. Two sweeps that reach the same Run share it.
type Run struct {
	// ID is readable and unique within a plan, e.g. "strided-n5000-l1_0.0001-s1".
	ID string `yaml:"id" json:"-"`
	// Sweeps names every sweep that reaches this run; Feeds the report items.
	Sweeps []string `yaml:"sweeps" json:"-"`
	Feeds  []string `yaml:"feeds" json:"-"`
	// File is the experiment file the run came from.
	File string `yaml:"file" json:"-"`

	Dataset         string    `yaml:"dataset" json:"dataset"`
	DataDir         string    `yaml:"data_dir,omitempty" json:"-"`
	Arch            arch.Arch `yaml:"arch" json:"arch"`
	N               int       `yaml:"n" json:"n"`
	L1              float64   `yaml:"l1" json:"l1"`
	Epochs          int       `yaml:"epochs" json:"epochs"`
	BatchSize       int       `yaml:"batch_size" json:"batch_size"`
	ValidationSplit float64   `yaml:"validation_split" json:"validation_split"`
	Seed            int64     `yaml:"seed" json:"seed"`
	Optimizer       Optimizer `yaml:"optimizer" json:"optimizer"`
}

// Network is the architecture with the run's l1 applied to its last dense
// layer.
func (r Run) Network() arch.Arch { return r.Arch.WithL1(r.L1) }

// Hash is a short content hash of everything that determines the result of
// the run (not its id, sweeps or file, nor where the data happens to live).
func (r Run) Hash() string {
	b, err := json.Marshal(r)
	if err != nil {
		panic(err) // a Run always marshals: it holds only plain values
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:10]
}

// CellHash is Hash without the seed: runs that differ only by seed share
// it and form one cell of a sweep.
func (r Run) CellHash() string {
	r.Seed = 0
	return r.Hash()
}
