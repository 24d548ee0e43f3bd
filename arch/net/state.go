package net

import (
	"bytes"
	"encoding/gob"
	"fmt"
)

// stateMagic opens a model state blob.
const stateMagic = "CONVLAB-MODEL-STATE 1\n"

// modelState is everything training needs to continue exactly: the
// weights, the optimiser's step count and moments and dropout's random
// stream.
type modelState struct {
	Layers  int
	Names   []string
	Weights [][]float64
	AdamT   int
	AdamM   [][]float64
	AdamV   [][]float64
	Dropout []byte
}

// MarshalState encodes the weights, optimiser state and dropout's random
// state: the magic line "CONVLAB-MODEL-STATE 1" then a gob-encoded record.
// UnmarshalState on a model built from the same architecture restores them
// so that training continues exactly as if it had not stopped.
func (m *Model) MarshalState() ([]byte, error) {
	s := modelState{Layers: len(m.arch.Layers), AdamT: m.adam.t, AdamM: m.adam.m, AdamV: m.adam.v}
	for _, p := range m.params {
		s.Names = append(s.Names, p.Name)
		s.Weights = append(s.Weights, p.float64s())
	}
	var err error
	if s.Dropout, err = m.pcg.MarshalBinary(); err != nil {
		return nil, fmt.Errorf("encode model state: %w", err)
	}
	var buf bytes.Buffer
	buf.WriteString(stateMagic)
	if err := gob.NewEncoder(&buf).Encode(&s); err != nil {
		return nil, fmt.Errorf("encode model state: %w", err)
	}
	return buf.Bytes(), nil
}

// UnmarshalState restores a state written by MarshalState.
func (m *Model) UnmarshalState(b []byte) error {
	rest, ok := bytes.CutPrefix(b, []byte(stateMagic))
	if !ok {
		return fmt.Errorf("model state: not a convlab model state (no %q line)", stateMagic[:len(stateMagic)-1])
	}
	var s modelState
	if err := gob.NewDecoder(bytes.NewReader(rest)).Decode(&s); err != nil {
		return fmt.Errorf("model state: %w", err)
	}
	if s.Layers != len(m.arch.Layers) || len(s.Names) != len(m.params) || len(s.Weights) != len(m.params) {
		return fmt.Errorf("model state: it has %d tensors of a %d-layer network; the model has %d tensors and %d layers", len(s.Weights), s.Layers, len(m.params), len(m.arch.Layers))
	}
	for i, p := range m.params {
		if s.Names[i] != p.Name || len(s.Weights[i]) != p.Size() {
			return fmt.Errorf("model state: tensor %d is %s with %d values; the model expects %s with %d", i, s.Names[i], len(s.Weights[i]), p.Name, p.Size())
		}
	}
	if s.AdamT < 0 {
		return fmt.Errorf("model state: optimiser step %d; want 0 or more", s.AdamT)
	}
	if s.AdamT > 0 {
		if len(s.AdamM) != len(m.params) || len(s.AdamV) != len(m.params) {
			return fmt.Errorf("model state: optimiser moments for %d/%d tensors; want %d", len(s.AdamM), len(s.AdamV), len(m.params))
		}
		for i, p := range m.params {
			if len(s.AdamM[i]) != p.Size() || len(s.AdamV[i]) != p.Size() {
				return fmt.Errorf("model state: optimiser moments of %s have %d/%d values; want %d", p.Name, len(s.AdamM[i]), len(s.AdamV[i]), p.Size())
			}
		}
	}
	if err := m.pcg.UnmarshalBinary(s.Dropout); err != nil {
		return fmt.Errorf("model state: dropout random state: %w", err)
	}
	for i, p := range m.params {
		store(p.value, s.Weights[i])
	}
	m.adam.t = s.AdamT
	if s.AdamT > 0 {
		m.adam.m, m.adam.v = s.AdamM, s.AdamV
	} else {
		m.adam.m, m.adam.v = nil, nil
	}
	return nil
}
