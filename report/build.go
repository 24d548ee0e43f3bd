// Package report turns the finished runs of an experiment file into the
// study's tables (CSV), figures (PNG) and a Markdown report, all under the
// results tree results/<file name>/:
//
//	tables/runs.csv            one row per run of the report
//	tables/<sweep>.csv         a sweep's table (Table 1, Table 2, or its axes)
//	tables/architectures.csv   the architecture comparison (Figures 5, 6)
//	tables/baselines.csv       majority-class baselines
//	figures/runs/<id>/curves.png, confusion_test.png
//	figures/cells/<cell>/curves.png  Figure 2 of a cell of several seeds
//	figures/<sweep>_curves.png       a sweep's curves overlaid (Figures 3, 4)
//	figures/<sweep>_comparison.png   architectures side by side (Figures 5, 6)
//	REPORT.md
//
// Everything is derived from the run directories and sweeps.json, so that
// a report can be rebuilt without retraining, and it is deterministic:
// rebuilding an unchanged tree rewrites identical bytes.
package report

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"convlab/internal/atomicfile"
	"convlab/runner/integrity"
	"convlab/runner/results"
	"convlab/runner/spec"
)

// Paths under the results tree.
const (
	ReportFile = "REPORT.md"
	TablesDir  = "tables"
	FiguresDir = "figures"
	RunsTable  = "runs.csv"
)

// Build reads the finished runs under root (results/<file name>) and writes
// the tables, figures and REPORT.md there. The plan is optional: when one
// is given and holds the file named filepath.Base(root), its sweeps are
// used (and saved to sweeps.json, for later builds); otherwise the sweeps
// come from root/sweeps.json, else they are reconstructed from the records
// (see DeriveSweeps). Every file is written atomically; generated CSV and
// PNG files that no longer belong to the report are removed.
//
// Damaged runs (see integrity.ReadIntact) are left out of every table and
// figure and named in REPORT.md; BuildWith also returns them.
func Build(root string, plan ...*spec.Plan) error {
	_, err := BuildWith(root, Options{}, plan...)
	return err
}

// Options change what Build writes.
type Options struct {
	// FigureFormats are the formats of every figure besides PNG (see
	// FigureFormats); nil means those of the experiment file's
	// figures.formats (as saved in sweeps.json).
	FigureFormats []string
}

// BuildWith is Build with options; it also returns the damage of the runs
// it left out.
func BuildWith(root string, o Options, plan ...*spec.Plan) ([]integrity.Damage, error) {
	p, err := Prepare(root, o, plan...)
	if err != nil {
		return nil, err
	}
	return p.Damage(), p.Write()
}

// Prepared is a report read from its results tree and not yet written, so
// that a caller can look at the damage of several trees before it writes
// any (report --strict), reading each tree once.
type Prepared struct {
	root     string
	idx      *planIndex
	fromPlan bool // sweeps.json is written from the plan
	m        *contents
}

// Prepare reads what Build would write from root, writing nothing.
func Prepare(root string, o Options, plan ...*spec.Plan) (*Prepared, error) {
	if err := CheckFigureFormats(o.FigureFormats); err != nil {
		return nil, fmt.Errorf("build report in %s: %w", root, err)
	}
	idx, fromPlan, err := resolveIndex(root, plan)
	if err != nil {
		return nil, err
	}
	saved := *idx // sweeps.json keeps the file's own formats
	if o.FigureFormats != nil {
		idx.FigureFormats = o.FigureFormats
	}
	m, err := loadContents(root, idx)
	if err != nil {
		return nil, err
	}
	return &Prepared{root: root, idx: &saved, fromPlan: fromPlan, m: m}, nil
}

// Damage is the damage of the finished runs the report leaves out.
func (p *Prepared) Damage() []integrity.Damage { return p.m.Damaged }

// Write writes the report (and, from a plan, sweeps.json) into its tree.
func (p *Prepared) Write() error {
	if p.fromPlan {
		if err := writeIndex(p.root, p.idx); err != nil {
			return err
		}
	}
	return writeContents(p.root, p.m)
}

// CheckFigureFormats checks that every format is one of FigureFormats.
func CheckFigureFormats(formats []string) error {
	for _, f := range formats {
		if !slices.Contains(FigureFormats, f) {
			return fmt.Errorf("unknown figure format %q; valid: %s", f, strings.Join(FigureFormats, ", "))
		}
	}
	return nil
}

// resolveIndex finds the sweeps of the report in root: those of the plan
// when one is given and holds the file named filepath.Base(root) (fromPlan
// is then true), else those of root/sweeps.json; Sweeps is nil when there
// is neither, for loadContents to derive them.
func resolveIndex(root string, plan []*spec.Plan) (idx *planIndex, fromPlan bool, err error) {
	if len(plan) > 1 {
		return nil, false, fmt.Errorf("build report in %s: %d plans given; want one or none", root, len(plan))
	}
	if len(plan) == 1 {
		if idx := indexFromPlan(plan[0], filepath.Base(filepath.Clean(root))); idx != nil {
			return idx, true, nil
		}
	}
	saved, ok, err := readIndex(root)
	if err != nil || !ok {
		return &planIndex{}, false, err
	}
	return saved, false, nil
}

func writeContents(root string, m *contents) error {
	out, err := generateContents(m)
	if err != nil {
		return err
	}
	return writeOutputs(root, out)
}

// loadContents reads the intact finished runs under root (noting the damaged
// ones) and matches them with the sweeps of idx; when idx has none (nil Sweeps), with those DeriveSweeps
// reconstructs from the records.
func loadContents(root string, idx *planIndex) (*contents, error) {
	recs, damaged, err := integrity.ReadIntact(root)
	if err != nil {
		return nil, err
	}
	sweeps := idx.Sweeps
	if sweeps == nil {
		sweeps = DeriveSweeps(recs)
	}
	m := newContents(filepath.Base(filepath.Clean(root)), recs, sweeps)
	m.File, m.Description, m.Overrides, m.Damaged, m.FigureFormats = idx.File, idx.Description, idx.Overrides, damaged, idx.FigureFormats
	return m, nil
}

// WriteRunsCSV rewrites only root/tables/runs.csv, with the rows Build
// writes there: the finished runs of the report, i.e. those the sweeps
// list (of the plan when given, as Build takes it, else of
// root/sweeps.json, else reconstructed), or every finished run when there
// are no sweeps. Run calls it once a grid (grid.Options.AfterRuns), so
// that runs.csv holds the runs even with --no-report. It does not write
// sweeps.json.
func WriteRunsCSV(root string, plan ...*spec.Plan) error {
	idx, _, err := resolveIndex(root, plan)
	if err != nil {
		return err
	}
	m, err := loadContents(root, idx)
	if err != nil {
		return err
	}
	b, err := EncodeRuns(m.Recs)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(root, TablesDir), 0o755); err != nil {
		return fmt.Errorf("write runs table: %w", err)
	}
	return atomicfile.WriteFile(filepath.Join(root, TablesDir, RunsTable), b)
}

func generateContents(m *contents) (map[string][]byte, error) {
	o := &outputs{}
	if err := generate(m, o); err != nil {
		return nil, err
	}
	return o.files, nil
}

func writeOutputs(root string, files map[string][]byte) error {
	rels := make([]string, 0, len(files))
	for rel := range files {
		rels = append(rels, rel)
	}
	sort.Strings(rels)
	for _, rel := range rels {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, files[rel]) {
			continue // unchanged: leave it (and its time stamp) alone
		}
		if err := atomicfile.WriteFile(p, files[rel]); err != nil {
			return err
		}
	}
	return removeStale(root, files)
}

// removeStale deletes generated files (CSV, PNG, SVG, PDF) under tables/ and figures/
// that this build did not write, and directories left empty.
func removeStale(root string, keep map[string][]byte) error {
	var dirs []string
	for _, top := range []string{TablesDir, FiguresDir} {
		base := filepath.Join(root, top)
		err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if d.IsDir() {
				if p != base {
					dirs = append(dirs, p)
				}
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			ext := filepath.Ext(p)
			if (ext == ".csv" || slices.Contains(FigureFormats, strings.TrimPrefix(ext, "."))) && keep[filepath.ToSlash(rel)] == nil {
				if err := os.Remove(p); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("remove stale report files: %w", err)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(dirs))) // children first
	for _, d := range dirs {
		_ = os.Remove(d) // fails, harmlessly, unless empty
	}
	return nil
}

// figure paths, relative to the root.
func runFigureDir(m *contents, r *results.Record) string {
	id := r.Run.ID
	n := 0
	for _, x := range m.Recs {
		if x.Run.ID == id {
			n++
		}
	}
	if n > 1 {
		id = dirName(r)
	}
	return path.Join(FiguresDir, "runs", fileName(id))
}

func tableName(sweep string) string {
	switch sweep {
	case "runs", "architectures", "baselines":
		return path.Join(TablesDir, "sweep_"+fileName(sweep)+".csv")
	}
	return path.Join(TablesDir, fileName(sweep)+".csv")
}

// addFigure encodes a figure as the PNG at rel and, for each other format,
// beside it with that format's extension.
func (o *outputs) addFigure(rel string, f figure, formats []string) error {
	all := []string{"png"}
	for _, format := range formats {
		if !slices.Contains(all, format) {
			all = append(all, format)
		}
	}
	for _, format := range all {
		b, err := f.encode(format)
		if err != nil {
			return err
		}
		o.add(strings.TrimSuffix(rel, ".png")+"."+format, b)
	}
	return nil
}

func sum2(m [][]int) int {
	n := 0
	for _, row := range m {
		for _, v := range row {
			n += v
		}
	}
	return n
}

func generate(m *contents, o *outputs) error {
	runsCSV, err := EncodeRuns(m.Recs)
	if err != nil {
		return err
	}
	o.add(path.Join(TablesDir, RunsTable), runsCSV)
	base := baselineTable(m.Recs)
	o.add(path.Join(TablesDir, "baselines.csv"), base.csv())
	if cmp := comparisonsTable(m); len(cmp.Rows) > 0 {
		o.add(path.Join(TablesDir, ComparisonsTable), cmp.csv())
	}
	archs := archCells(m)
	if len(archs) > 0 {
		o.add(path.Join(TablesDir, "architectures.csv"), archTable(archs).CSV.csv())
	}

	// Per-run figures.
	st := newStyler(m.Recs)
	curves := map[*results.Record]string{}
	confusion := map[*results.Record]string{}
	for _, r := range m.Recs {
		dir := runFigureDir(m, r)
		curves[r] = path.Join(dir, "curves.png")
		if err := o.addFigure(curves[r], curvesFigure(st, r), m.FigureFormats); err != nil {
			return fmt.Errorf("figure of run %s: %w", r.Run.ID, err)
		}
		if cm := r.Metrics.Test.Confusion; len(cm) > 0 {
			f, err := confusionFigure(fmt.Sprintf("Confusion matrix on the test set (%s test images): %s", groupThousands(sum2(cm)), r.Run.ID), cm, results.ClassNames(r))
			if err == nil {
				f.date = newestFinish(r)
				confusion[r] = path.Join(dir, "confusion_test.png")
				err = o.addFigure(confusion[r], f, m.FigureFormats)
			}
			if err != nil {
				return fmt.Errorf("figure of run %s: %w", r.Run.ID, err)
			}
		}
	}

	// Figure 2 of each cell of several seeds: the mean curves with bands.
	cellCurves := map[string]string{}
	cellDirs := map[string]bool{} // the directories under figures/cells taken
	for _, v := range m.Sweeps {
		if !v.feeds("figure2") {
			continue
		}
		for _, c := range v.Cells {
			if len(c.Recs) < 2 || cellCurves[c.Key] != "" {
				continue
			}
			dir := fileName(c.Label)
			if cellDirs[dir] {
				dir += "-" + c.Key[:min(10, len(c.Key))] // another cell of the same label
			}
			cellDirs[dir] = true
			cellCurves[c.Key] = path.Join(FiguresDir, "cells", dir, "curves.png")
			if err := o.addFigure(cellCurves[c.Key], cellCurvesFigure(st, c), m.FigureFormats); err != nil {
				return fmt.Errorf("figure of cell %s: %w", c.Label, err)
			}
		}
	}

	// Per-sweep tables and figures.
	tables := map[*sweepView]string{}
	sweepTables := map[*sweepView]cellTable{}
	overlays := map[*sweepView]string{}
	comparisons := map[*sweepView]string{}
	for _, v := range m.Sweeps {
		if len(v.Recs) == 0 {
			continue
		}
		// The runs of Figures 5 and 6 are tabled in architectures.csv.
		if v.feeds("table1", "table2") || (len(v.Axes) > 0 && !v.feeds("figure5", "figure6")) {
			tables[v], sweepTables[v] = tableName(v.Name), sweepTable(v)
			o.add(tables[v], sweepTables[v].CSV.csv())
		}
		if v.feeds("figure3", "figure4") || (!v.feeds(spec.ReportItems...) && len(v.Recs) > 1) {
			f, err := overlayFigure(st, sweepTitle(v), v)
			overlays[v] = path.Join(FiguresDir, fileName(v.Name)+"_curves.png")
			if err == nil {
				err = o.addFigure(overlays[v], f, m.FigureFormats)
			}
			if err != nil {
				return fmt.Errorf("figure of sweep %s: %w", v.Name, err)
			}
		}
		if v.feeds("figure5", "figure6") {
			f, err := archFigure(st, sweepTitle(v), v)
			comparisons[v] = path.Join(FiguresDir, fileName(v.Name)+"_comparison.png")
			if err == nil {
				err = o.addFigure(comparisons[v], f, m.FigureFormats)
			}
			if err != nil {
				return fmt.Errorf("figure of sweep %s: %w", v.Name, err)
			}
		}
	}

	w := &reportWriter{}
	writeReport(w, m, reportFiles{curves, confusion, tables, overlays, comparisons, base, cellCurves, sweepTables})
	o.add(ReportFile, []byte(w.String()))
	return nil
}

func sweepTitle(v *sweepView) string {
	var items []string
	for _, f := range v.Feeds {
		items = append(items, itemTitle(f))
	}
	if len(items) == 0 {
		return "Sweep " + v.Name
	}
	return strings.Join(items, " / ") + " (sweep " + v.Name + ")"
}

func itemTitle(item string) string {
	if n, ok := strings.CutPrefix(item, "table"); ok {
		return "Table " + n
	}
	if n, ok := strings.CutPrefix(item, "figure"); ok {
		return "Figure " + n
	}
	return item
}
