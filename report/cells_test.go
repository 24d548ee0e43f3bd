package report

import (
	"testing"

	"convlab/runner/results"
	"convlab/runner/spec"
)

func TestGroupCells(t *testing.T) {
	base := spec.Run{Dataset: "cifar10", N: 5000, L1: 0.0001, Epochs: 20, BatchSize: 128, ValidationSplit: 0.1}
	rec := func(id string, l1 float64, seed int64, finished string) *results.Record {
		r := base
		r.ID, r.L1, r.Seed = id, l1, seed
		return &results.Record{Run: r, Provenance: results.Provenance{Finished: finished}}
	}
	recs := []*results.Record{
		rec("strided-n5000-l1_0.0001-e20-s3", 0.0001, 3, "2026-01-01T00:00:00Z"),
		rec("strided-n5000-l1_0-e20-s1", 0, 1, "2026-01-01T00:00:00Z"),
		rec("strided-n5000-l1_0.0001-e20-s1", 0.0001, 1, "2026-01-01T00:00:00Z"),
		rec("strided-n5000-l1_0.0001-e20-s2", 0.0001, 2, "2026-01-01T00:00:00Z"),
		// An older and a newer version of seed 1 of the first seedCell.
		rec("strided-n5000-l1_0.0001-e20-s1", 0.0001, 1, "2026-02-01T00:00:00Z"),
	}
	cells := groupSeedCells(recs)
	if len(cells) != 2 {
		t.Fatalf("got %d cells, want 2", len(cells))
	}
	if got, want := cells[0].Label, "strided-n5000-l1_0.0001-e20"; got != want {
		t.Errorf("first seedCell label %q, want %q", got, want)
	}
	if got := cells[0].Seeds(); len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 3 {
		t.Errorf("first seedCell seeds %v, want [1 2 3]", got)
	}
	if got := cells[0].Recs[0].Provenance.Finished; got != "2026-02-01T00:00:00Z" {
		t.Errorf("seed 1 kept the run finished %s, want the later one", got)
	}
	if got := cells[1].Seeds(); len(got) != 1 || got[0] != 1 || cells[1].Label != "strided-n5000-l1_0-e20" {
		t.Errorf("second seedCell %q seeds %v, want strided-n5000-l1_0-e20 [1]", cells[1].Label, got)
	}
}

func TestCellLabel(t *testing.T) {
	for in, want := range map[string]string{
		"strided-n5000-l1_0.0001-e20-s1":  "strided-n5000-l1_0.0001-e20",
		"strided-n5000-l1_0.0001-e20-s12": "strided-n5000-l1_0.0001-e20",
		"my-sweep-simple":                 "my-sweep-simple",
		"x-s":                             "x-s",
	} {
		if got := cellLabel(in); got != want {
			t.Errorf("cellLabel(%q) = %q, want %q", in, got, want)
		}
	}
}
