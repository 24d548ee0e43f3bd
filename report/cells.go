package report

import (
	"strings"

	"convlab/runner/results"
	"convlab/runner/spec"
)

// seedCell is one point of a sweep measured once per seed: the finished runs
// whose settings are equal but for the seed. Tables and figures show a
// seedCell's mean (and its spread when it has several seeds); comparisons are
// made between cells.
type seedCell struct {
	// Key identifies the seedCell: the hash of its shared settings.
	Key string
	// Label is the runs' readable id without its seed part, e.g.
	// "strided-n5000-l1_0.0001-e20".
	Label string
	// Recs holds one record per seed, ordered by seed.
	Recs []*results.Record
}

// Seeds lists the seedCell's seeds in order.
func (c *seedCell) Seeds() []int64 {
	seeds := make([]int64, len(c.Recs))
	for i, r := range c.Recs {
		seeds[i] = r.Run.Seed
	}
	return seeds
}

// cellKey is the hash of everything that determines a run's result except
// its seed.
func cellKey(r spec.Run) string { return r.CellHash() }

// cellLabel drops the trailing "-s<seed>" of a readable run id.
func cellLabel(id string) string {
	if i := strings.LastIndex(id, "-s"); i > 0 && strings.Trim(id[i+2:], "0123456789") == "" && len(id) > i+2 {
		return id[:i]
	}
	return id
}

// groupSeedCells groups records into cells, in the order each seedCell first
// appears in recs; within a seedCell the records are ordered by seed, and a
// second record of the same seed (an older version of the run) is dropped
// in favour of the one that finished last.
func groupSeedCells(recs []*results.Record) []*seedCell {
	var cells []*seedCell
	byKey := map[string]*seedCell{}
	for _, r := range recs {
		k := cellKey(r.Run)
		c, ok := byKey[k]
		if !ok {
			c = &seedCell{Key: k, Label: cellLabel(r.Run.ID)}
			byKey[k] = c
			cells = append(cells, c)
		}
		c.add(r)
	}
	return cells
}

func (c *seedCell) add(r *results.Record) {
	for i, old := range c.Recs {
		switch {
		case old.Run.Seed == r.Run.Seed:
			if old.Provenance.Finished < r.Provenance.Finished {
				c.Recs[i] = r
			}
			return
		case old.Run.Seed > r.Run.Seed:
			c.Recs = append(c.Recs[:i], append([]*results.Record{r}, c.Recs[i:]...)...)
			return
		}
	}
	c.Recs = append(c.Recs, r)
}
