package report

import (
	"reflect"
	"strings"
	"testing"

	"convlab/runner/results"
	"convlab/runner/spec"
)

func TestDecodePlanIndex(t *testing.T) {
	tests := []struct {
		name, in, err string
		want          []SweepInfo
	}{
		{name: "ok", in: `{"sweeps": [{"name": "l1", "feeds": ["table2"], "axes": ["l1"], "run_ids": ["a", "b"]}]}`,
			want: []SweepInfo{{Name: "l1", Feeds: []string{"table2"}, Axes: []string{"l1"}, RunIDs: []string{"a", "b"}}}},
		{name: "empty", in: `{"sweeps": []}`, want: []SweepInfo{}},
		{name: "not json", in: `sweeps: []`, err: "not a sweep index"},
		{name: "unknown field", in: `{"sweeps": [{"name": "x", "runs": []}]}`, err: `unknown field "runs"`},
		{name: "no name", in: `{"sweeps": [{"run_ids": []}]}`, err: "sweep 1 has no name"},
		{name: "twice", in: `{"sweeps": [{"name": "a", "run_ids": []}, {"name": "a", "run_ids": []}]}`, err: `sweep "a" is listed twice`},
		{name: "bad feed", in: `{"sweeps": [{"name": "a", "feeds": ["table3"], "run_ids": []}]}`, err: `sweep "a" feeds unknown report item "table3"; valid items: [table1`},
		{name: "bad axis", in: `{"sweeps": [{"name": "a", "axes": ["lr"], "run_ids": []}]}`, err: `sweep "a" has unknown axis "lr"; valid axes: [dataset`},
		{name: "dirs mismatch", in: `{"sweeps": [{"name": "a", "run_ids": ["x"], "run_dirs": ["x-1", "y-2"]}]}`, err: `sweep "a" lists 2 run_dirs for 1 run_ids`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodePlanIndex([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzDecodePlanIndex(f *testing.F) {
	f.Add([]byte(`{"sweeps": [{"name": "l1", "feeds": ["table2"], "axes": ["l1"], "run_ids": ["a", "b"], "run_dirs": ["a-1", "b-2"]}]}`))
	f.Add([]byte(`{"sweeps": null}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sweeps, err := DecodePlanIndex(data)
		if err != nil {
			return
		}
		for _, s := range sweeps {
			if s.Name == "" || (len(s.RunDirs) > 0 && len(s.RunDirs) != len(s.RunIDs)) {
				t.Fatalf("accepted an invalid sweep %+v", s)
			}
		}
		// Whatever is accepted can be reported on without panicking.
		_ = newContents("x", nil, sweeps)
	})
}

func TestPlanIndexRoundTrip(t *testing.T) {
	root := t.TempDir()
	recs, sweeps := fixtureRecords()
	_ = recs
	if _, ok, err := ReadPlanIndex(root); ok || err != nil {
		t.Fatalf("empty root: ok %v, err %v; want no index and no error", ok, err)
	}
	if err := WritePlanIndex(root, sweeps); err != nil {
		t.Fatal(err)
	}
	got, ok, err := ReadPlanIndex(root)
	if err != nil || !ok {
		t.Fatalf("ReadPlanIndex: ok %v, err %v", ok, err)
	}
	if !reflect.DeepEqual(got, sweeps) {
		t.Errorf("read back %+v, want %+v", got, sweeps)
	}
}

// DeriveSweeps recovers the study's sweeps from the records alone.
func TestDeriveSweeps(t *testing.T) {
	recs, _ := fixtureRecords()
	got := DeriveSweeps(recs)
	type short struct {
		name        string
		feeds, axes string
		runs        int
	}
	var shorts []short
	for _, s := range got {
		shorts = append(shorts, short{s.Name, strings.Join(s.Feeds, ","), strings.Join(s.Axes, ","), len(s.RunIDs)})
	}
	want := []short{
		{"architectures", "figure5", "arch", 2},
		{"data_amount", "table1,figure3", "n", 4},
		{"deeper", "figure6", "", 1},
		{"figure2", "figure2", "", 1},
		{"l1", "table2,figure4", "l1", 6},
	}
	if !reflect.DeepEqual(shorts, want) {
		t.Errorf("derived %+v\nwant %+v", shorts, want)
	}
	for _, s := range got {
		for i, d := range s.RunDirs {
			if !strings.HasPrefix(d, s.RunIDs[i]+"-") {
				t.Errorf("sweep %s: run dir %s does not belong to run %s", s.Name, d, s.RunIDs[i])
			}
		}
	}
}

func TestIndexFromPlan(t *testing.T) {
	recs, _ := fixtureRecords()
	runs := []spec.Run{recs[0].Run, recs[1].Run}
	plan := &spec.Plan{
		Files: []*spec.File{{Path: "experiments/report.yaml", Name: "report", Sweeps: []spec.Sweep{
			{Name: "data_amount", Description: "more data", Feeds: []string{"table1"}, Axes: []string{"n"},
				RunIDs: []string{runs[0].ID, runs[1].ID}},
		}}},
		Runs: runs,
	}
	got := indexFromPlan(plan, "report").Sweeps
	want := []SweepInfo{{Name: "data_amount", Description: "more data", Feeds: []string{"table1"}, Axes: []string{"n"},
		RunIDs:  []string{runs[0].ID, runs[1].ID},
		RunDirs: []string{results.RunDirName(runs[0]), results.RunDirName(runs[1])}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got := indexFromPlan(plan, "other"); got != nil {
		t.Errorf("unknown file: got %+v, want nil", got)
	}
	if got := indexFromPlan(nil, "report"); got != nil {
		t.Errorf("nil plan: got %+v, want nil", got)
	}
}
