package cli

import (
	"convlab/runner/grid"
	"convlab/runner/results"
	"convlab/runner/spec"
)

// The --json outputs of plan and run. Their schemas are stable: a field
// is never renamed or given another type under the same schema string;
// new fields may be added.
const (
	planSchema = "convlab.plan/1"
	runSchema  = "convlab.run/1"
)

// jsonPlan is `convlab plan --json`.
type jsonPlan struct {
	Schema string     `json:"schema"`
	Files  []jsonFile `json:"files"`
	Runs   []jsonRun  `json:"runs"`
	Total  int        `json:"total"`
	ToDo   int        `json:"to_do"`
	// EstimateSeconds is the wall time of the runs to do, one at a time;
	// null when no speed is known.
	EstimateSeconds *float64   `json:"estimate_seconds"`
	EstimateBasis   string     `json:"estimate_basis,omitempty"`
	Convolutions    []jsonConv `json:"convolutions"`
}

// jsonFile is one training experiment file.
type jsonFile struct {
	Path      string   `json:"path"`
	Name      string   `json:"name"`
	Results   string   `json:"results"` // RESULTS/<name>
	Overrides []string `json:"overrides"`
}

// jsonRun is one run of the grid.
type jsonRun struct {
	ID              string         `json:"id"`
	Hash            string         `json:"hash"`
	Dir             string         `json:"dir"` // RESULTS/<name>/runs/<id>-<hash>
	File            string         `json:"file"`
	Sweeps          []string       `json:"sweeps"`
	Feeds           []string       `json:"feeds"`
	Dataset         string         `json:"dataset"`
	Arch            string         `json:"arch"`
	N               int            `json:"n"`
	L1              float64        `json:"l1"`
	Epochs          int            `json:"epochs"`
	BatchSize       int            `json:"batch_size"`
	ValidationSplit float64        `json:"validation_split"`
	Seed            int64          `json:"seed"`
	Optimizer       spec.Optimizer `json:"optimizer"`
	Status          string         `json:"status"` // an grid.State: "done", "done (unverified)", "damaged", "to do"
}

// jsonConv is one convolution file (Part i).
type jsonConv struct {
	Name     string   `json:"name"`
	Image    string   `json:"image"`
	Channels []string `json:"channels"`
	Kernels  []string `json:"kernels"`
	Status   string   `json:"status"`
}

func newJSONRun(root string, r spec.Run, status string) jsonRun {
	return jsonRun{ID: r.ID, Hash: r.Hash(), Dir: results.RunDir(root, r), File: r.File,
		Sweeps: nonNil(r.Sweeps), Feeds: nonNil(r.Feeds), Dataset: r.Dataset, Arch: r.Arch.Name, N: r.N, L1: r.L1,
		Epochs: r.Epochs, BatchSize: r.BatchSize, ValidationSplit: r.ValidationSplit, Seed: r.Seed,
		Optimizer: r.Optimizer, Status: status}
}

// jsonRunSummary is the final summary of `convlab run --json`.
type jsonRunSummary struct {
	Schema       string           `json:"schema"`
	OK           bool             `json:"ok"` // the exit status is 0
	Files        []jsonFileResult `json:"files"`
	Convolutions []jsonConvResult `json:"convolutions"`
	// Errors are the failures that belong to no run (data sets that
	// cannot be read, reports that could not be written).
	Errors []string `json:"errors"`
}

// jsonFileResult is what run did with one training file.
type jsonFileResult struct {
	Path     string        `json:"path"`
	Results  string        `json:"results"`
	Report   string        `json:"report"` // REPORT.md written, else ""
	Done     []jsonOutcome `json:"done"`
	Skipped  []jsonOutcome `json:"skipped"`
	Failed   []jsonOutcome `json:"failed"`
	Canceled []jsonOutcome `json:"canceled"`
}

// jsonOutcome is one run's fate.
type jsonOutcome struct {
	ID      string  `json:"id"`
	Dir     string  `json:"dir,omitempty"`
	Seconds float64 `json:"seconds"`
	Error   string  `json:"error,omitempty"`
}

// jsonConvResult is one convolution file run.
type jsonConvResult struct {
	Path  string `json:"path"`
	Dir   string `json:"dir,omitempty"`
	Error string `json:"error,omitempty"`
}

func jsonOutcomes(root string, os []grid.Outcome) []jsonOutcome {
	out := make([]jsonOutcome, 0, len(os))
	for _, o := range os {
		j := jsonOutcome{ID: o.Run.ID, Seconds: o.Elapsed.Seconds()}
		if o.Dir != "" {
			j.Dir = results.RunDir(root, o.Run)
		}
		if o.Err != nil {
			j.Error = o.Err.Error()
		}
		out = append(out, j)
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
