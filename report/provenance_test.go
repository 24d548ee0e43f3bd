package report

import (
	"testing"

	"convlab/runner/results"
)

// Without a known commit (a binary built with -buildvcs=false) whether the
// code had uncommitted changes is unknown too, not "no".
func TestProvenanceTableUnknownCommit(t *testing.T) {
	recs := []*results.Record{
		{Provenance: results.Provenance{ToolVersion: "0.1.0", Host: "a", Cores: 2, Finished: "2026-01-01T00:00:00Z"}},
		{Provenance: results.Provenance{ToolVersion: "0.1.0", GitCommit: "abc", Host: "a", Cores: 2, Finished: "2026-01-01T00:00:00Z"}},
		{Provenance: results.Provenance{ToolVersion: "0.1.0", GitCommit: "abd", GitDirty: true, Host: "a", Cores: 2, Finished: "2026-01-01T00:00:00Z"}},
	}
	tab := provenanceTable(recs)
	want := [][2]string{{"unknown", "unknown"}, {"abc", "no"}, {"abd", "yes"}}
	if len(tab.Rows) != len(want) {
		t.Fatalf("%d rows; want %d", len(tab.Rows), len(want))
	}
	for i, w := range want {
		if got := [2]string{tab.Rows[i][1].Text, tab.Rows[i][2].Text}; got != w {
			t.Errorf("row %d: commit, uncommitted = %q; want %q", i, got, w)
		}
	}
}
