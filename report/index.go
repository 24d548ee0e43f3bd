package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"

	"convlab/internal/atomicfile"
	"convlab/runner/results"
	"convlab/runner/spec"
)

// IndexFile is the file under a results tree that records the sweeps of
// the experiment file, so that the report can be rebuilt without it.
const IndexFile = "sweeps.json"

// SweepInfo is what the report needs to know about one sweep of an
// experiment file: which report items it feeds, along which axes its runs
// vary and which runs it holds, in order.
type SweepInfo struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Feeds       []string `json:"feeds,omitempty"`
	Axes        []string `json:"axes,omitempty"`
	RunIDs      []string `json:"run_ids"`
	// RunDirs are the runs' directory names (results.RunDirName), which
	// tell apart a run from an older run of the same ID. Optional: without
	// them runs are matched by ID.
	RunDirs []string `json:"run_dirs,omitempty"`
	// Reference is the cell key (spec.Run.CellHash) of the cell the
	// sweep's cells are compared with; empty when there is none.
	// ReferenceNamed is true when the sweep's reference: chose it.
	Reference      string `json:"reference,omitempty"`
	ReferenceNamed bool   `json:"reference_named,omitempty"`
}

// planIndex is the content of sweeps.json: the experiment file, its
// description and its sweeps.
type planIndex struct {
	File        string `json:"file,omitempty"`
	Description string `json:"description,omitempty"`
	// Overrides are the command-line settings the sweeps were expanded
	// with (convlab run -S/-m), as typed.
	Overrides []string    `json:"overrides,omitempty"`
	Sweeps    []SweepInfo `json:"sweeps"`
	// FigureFormats are the file's figures.formats besides PNG.
	FigureFormats []string `json:"figure_formats,omitempty"`
}

// indexFromPlan is the sweep index of the plan's file whose results
// directory is name (spec.File.Name); nil when the plan has no such file.
func indexFromPlan(plan *spec.Plan, name string) *planIndex {
	if plan == nil {
		return nil
	}
	f := plan.File(name)
	if f == nil {
		return nil
	}
	idx := &planIndex{File: f.Path, Description: f.Description, Overrides: f.Overrides, Sweeps: make([]SweepInfo, 0, len(f.Sweeps)),
		FigureFormats: slices.DeleteFunc(slices.Clone(f.FigureFormats), func(s string) bool { return s == "png" })}
	for i := range f.Sweeps {
		s := &f.Sweeps[i]
		info := SweepInfo{Name: s.Name, Description: s.Description,
			Feeds:     append([]string(nil), s.Feeds...),
			Axes:      append([]string(nil), s.Axes...),
			RunIDs:    append([]string(nil), s.RunIDs...),
			Reference: s.Reference, ReferenceNamed: s.ReferenceNamed}
		for _, r := range plan.SweepRuns(s) {
			info.RunDirs = append(info.RunDirs, results.RunDirName(r))
		}
		if len(info.RunDirs) != len(info.RunIDs) {
			info.RunDirs = nil
		}
		idx.Sweeps = append(idx.Sweeps, info)
	}
	return idx
}

// WritePlanIndex records the sweeps of the experiment file whose results
// tree is root, as root/sweeps.json (atomically), for Build to use when it
// is given no plan.
func WritePlanIndex(root string, sweeps []SweepInfo) error {
	return writeIndex(root, &planIndex{Sweeps: sweeps})
}

func writeIndex(root string, idx *planIndex) error {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("write sweep index: %w", err)
	}
	b, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return fmt.Errorf("encode sweep index: %w", err)
	}
	return atomicfile.WriteFile(filepath.Join(root, IndexFile), append(b, '\n'))
}

// ReadPlanIndex reads the sweeps of root/sweeps.json; ok is false when
// there is none.
func ReadPlanIndex(root string) (sweeps []SweepInfo, ok bool, err error) {
	idx, ok, err := readIndex(root)
	if !ok || err != nil {
		return nil, ok, err
	}
	return idx.Sweeps, true, nil
}

func readIndex(root string) (*planIndex, bool, error) {
	path := filepath.Join(root, IndexFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read sweep index: %w", err)
	}
	idx, err := decodeIndex(b)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	return idx, true, nil
}

// DecodePlanIndex parses the sweeps of a sweeps.json.
func DecodePlanIndex(data []byte) ([]SweepInfo, error) {
	idx, err := decodeIndex(data)
	if err != nil {
		return nil, err
	}
	return idx.Sweeps, nil
}

func decodeIndex(data []byte) (*planIndex, error) {
	var idx planIndex
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&idx); err != nil {
		return nil, fmt.Errorf("not a sweep index (want {\"sweeps\": [{\"name\": ..., \"run_ids\": [...]}]}): %w", err)
	}
	seen := map[string]bool{}
	for i, s := range idx.Sweeps {
		if s.Name == "" {
			return nil, fmt.Errorf("sweep %d has no name", i+1)
		}
		if seen[s.Name] {
			return nil, fmt.Errorf("sweep %q is listed twice", s.Name)
		}
		seen[s.Name] = true
		if len(s.RunDirs) > 0 && len(s.RunDirs) != len(s.RunIDs) {
			return nil, fmt.Errorf("sweep %q lists %d run_dirs for %d run_ids; want one per run or none", s.Name, len(s.RunDirs), len(s.RunIDs))
		}
		for _, f := range s.Feeds {
			if !slices.Contains(spec.ReportItems, f) {
				return nil, fmt.Errorf("sweep %q feeds unknown report item %q; valid items: %v", s.Name, f, spec.ReportItems)
			}
		}
		for _, a := range s.Axes {
			if _, ok := axisNames[a]; !ok {
				return nil, fmt.Errorf("sweep %q has unknown axis %q; valid axes: %v", s.Name, a, AxisKeys)
			}
		}
	}
	if err := CheckFigureFormats(idx.FigureFormats); err != nil {
		return nil, err
	}
	if idx.Sweeps == nil {
		idx.Sweeps = []SweepInfo{}
	}
	return &idx, nil
}

// AxisKeys are the run settings a sweep can vary, in the order the report
// lists them.
var AxisKeys = []string{"dataset", "data_dir", "arch", "n", "l1", "epochs", "batch_size", "validation_split", "seed", "optimizer"}

// axisNames are the column titles of the axes.
var axisNames = map[string]string{
	"dataset": "Dataset", "data_dir": "Data Directory", "arch": "Architecture", "n": "Data Amount", "l1": "L1",
	"epochs": "Epochs", "batch_size": "Batch Size", "validation_split": "Validation Split", "seed": "Seed",
	"optimizer": "Optimizer",
}

// axisValue is the run's setting of an axis, as text.
func axisValue(r spec.Run, axis string) string {
	switch axis {
	case "dataset":
		return r.Dataset
	case "data_dir":
		return r.DataDir
	case "arch":
		return r.Arch.Name
	case "n":
		return strconv.Itoa(r.N)
	case "l1":
		return results.FormatFloat(r.L1)
	case "epochs":
		return strconv.Itoa(r.Epochs)
	case "batch_size":
		return strconv.Itoa(r.BatchSize)
	case "validation_split":
		return results.FormatFloat(r.ValidationSplit)
	case "seed":
		return strconv.FormatInt(r.Seed, 10)
	case "optimizer":
		o := r.Optimizer
		return fmt.Sprintf("%s lr=%s", o.Name, results.FormatFloat(o.LearningRate))
	}
	return ""
}

// DeriveSweeps reconstructs the sweeps from the records alone, for a tree
// with neither a plan nor a sweeps.json: each sweep holds the runs naming
// it, in ID order; its axes are the settings that differ between them;
// each report item goes to the largest sweep all of whose runs feed it
// (runs reached by several sweeps carry the feeds of all of them).
func DeriveSweeps(recs []*results.Record) []SweepInfo {
	var names []string
	members := map[string][]*results.Record{}
	for _, r := range recs {
		for _, s := range r.Run.Sweeps {
			if _, ok := members[s]; !ok {
				names = append(names, s)
			}
			members[s] = append(members[s], r)
		}
	}
	sort.Strings(names)
	out := make([]SweepInfo, 0, len(names))
	for _, name := range names {
		rs := members[name]
		info := SweepInfo{Name: name}
		for _, r := range rs {
			info.RunIDs = append(info.RunIDs, r.Run.ID)
			info.RunDirs = append(info.RunDirs, r.DirName())
		}
		for _, a := range AxisKeys {
			for _, r := range rs[1:] {
				if axisValue(r.Run, a) != axisValue(rs[0].Run, a) {
					info.Axes = append(info.Axes, a)
					break
				}
			}
		}
		out = append(out, info)
	}
	for _, item := range spec.ReportItems {
		best := -1
		for i, info := range out {
			all := true
			for _, r := range members[info.Name] {
				if !slices.Contains(r.Run.Feeds, item) {
					all = false
					break
				}
			}
			if all && (best < 0 || len(info.RunIDs) > len(out[best].RunIDs)) {
				best = i
			}
		}
		if best >= 0 {
			out[best].Feeds = append(out[best].Feeds, item)
		}
	}
	return out
}
