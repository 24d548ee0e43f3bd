package report

import (
	"regexp"
	"slices"
	"sort"

	"convlab/runner/integrity"
	"convlab/runner/results"
)

// sweepView is a sweep with its finished runs, in the sweep's order.
type sweepView struct {
	SweepInfo
	Recs []*results.Record
	// Cells are Recs grouped by seed cell, in the sweep's order.
	Cells   []*seedCell
	Missing []string // IDs of runs not finished yet
	// Comparisons are every cell's comparisons with RefCell, the sweep's
	// reference cell (nil when not found); CompareNote says why there are
	// none (sweepComparisons). newContents computes them once for the
	// tables, verdicts and notes that show them.
	Comparisons []Comparison
	RefCell     *seedCell
	CompareNote string
}

func (s *sweepView) feeds(items ...string) bool {
	for _, it := range items {
		if slices.Contains(s.Feeds, it) {
			return true
		}
	}
	return false
}

// contents is everything the report shows, read from a results tree.
type contents struct {
	Name string
	// File and Description are the experiment file's, when known.
	File, Description string
	// Overrides are the -S/-m settings the sweeps were expanded with.
	Overrides []string
	Recs      []*results.Record // runs of the report, by ID
	// Cells are Recs grouped by seed cell: where a sweep's reference cell
	// is found, whichever sweep it belongs to.
	Cells  []*seedCell
	Sweeps []*sweepView
	// FigureFormats are the formats of the figures besides PNG.
	FigureFormats []string
	// Others are finished runs in the tree that no sweep holds (older
	// versions of runs, or runs of sweeps since removed).
	Others []*results.Record
	// Damaged are the problems of finished runs left out of the report.
	Damaged []integrity.Damage
}

// dirName is the name of the record's run directory under runs/.
func dirName(r *results.Record) string { return r.DirName() }

// newContents matches the sweeps' runs with the records. When sweeps is
// empty, every record is in the report.
func newContents(name string, recs []*results.Record, sweeps []SweepInfo) *contents {
	m := &contents{Name: name}
	byDir := map[string]*results.Record{}
	byID := map[string]*results.Record{}
	for _, r := range recs {
		byDir[dirName(r)] = r
		// With several versions of one ID, the latest finished wins.
		if old, ok := byID[r.Run.ID]; !ok || old.Provenance.Finished < r.Provenance.Finished {
			byID[r.Run.ID] = r
		}
	}
	used := map[*results.Record]bool{}
	for _, s := range sweeps {
		v := &sweepView{SweepInfo: s}
		for i, id := range s.RunIDs {
			var r *results.Record
			if len(s.RunDirs) == len(s.RunIDs) {
				r = byDir[s.RunDirs[i]]
			} else {
				r = byID[id]
			}
			if r == nil {
				v.Missing = append(v.Missing, id)
				continue
			}
			v.Recs = append(v.Recs, r)
			used[r] = true
		}
		v.Cells = groupSeedCells(v.Recs)
		m.Sweeps = append(m.Sweeps, v)
	}
	for _, r := range recs {
		switch {
		case len(sweeps) == 0 || used[r]:
			m.Recs = append(m.Recs, r)
		default:
			m.Others = append(m.Others, r)
		}
	}
	sort.SliceStable(m.Recs, func(i, j int) bool { return m.Recs[i].Run.ID < m.Recs[j].Run.ID })
	m.Cells = groupSeedCells(m.Recs)
	for _, v := range m.Sweeps {
		v.Comparisons, v.RefCell, v.CompareNote = sweepComparisons(m, v)
	}
	return m
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// fileName makes a name safe as a file name.
func fileName(s string) string {
	s = unsafeChars.ReplaceAllString(s, "_")
	if s == "" || s == "." || s == ".." {
		return "_"
	}
	return s
}
