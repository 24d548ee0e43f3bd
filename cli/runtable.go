package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"convlab/internal/yamlfile"
	"convlab/report"
	"convlab/runner/results"
	"convlab/runner/spec"
)

// Extra columns of the run table beyond those of runs.csv: where a run's
// files are.
const (
	colResults = "results" // the results tree, e.g. results/subset
	colDir     = "dir"     // the run's directory
)

// textColumns are the columns whose values are text; the others are
// numbers (git_dirty a boolean), which --where and --sort compare as
// numbers and --json writes as numbers.
var textColumns = []string{"run_id", "hash", "sweeps", "dataset", "arch", "optimizer", "tool_version", "git_commit", "host", "finished", colResults, colDir}

// runRow is one finished run as the columns of runs.csv (the same values,
// formatted the same way) plus colResults and colDir.
type runRow map[string]string

// runColumns lists every column a run row has, in order.
func runColumns() []string { return append(report.RunColumns(), colResults, colDir) }

// treeRuns are the finished runs of one results tree that a command shows.
type treeRuns struct {
	root string
	recs []*results.Record
}

// rowsOf turns records into rows, with the values runs.csv holds.
func rowsOf(trees []treeRuns) []runRow {
	var rows []runRow
	for _, t := range trees {
		for _, rec := range t.recs {
			row := runRow(report.NewRunRow(rec).Values())
			row[colResults] = t.root
			row[colDir] = filepath.Join(t.root, results.RunsDir, rec.DirName())
			rows = append(rows, row)
		}
	}
	return rows
}

// collectRuns finds the finished runs that args name: nothing for every
// results tree under resultsDir; a results directory for its runs;
// experiment files for the runs they declare (with the overrides applied)
// that are finished under resultsDir/<name>.
func collectRuns(args []string, resultsDir string, overrides []spec.Override) ([]treeRuns, error) {
	if len(args) == 0 {
		roots, err := resultTrees(resultsDir)
		if err != nil {
			return nil, err
		}
		args = roots
	}
	var trees []treeRuns
	var files []string
	for _, a := range args {
		if !isDir(a) {
			files = append(files, a)
			continue
		}
		if err := checkResultsDir(a); err != nil {
			return nil, err
		}
		recs, err := results.ReadTree(a)
		if err != nil {
			return nil, err
		}
		trees = append(trees, treeRuns{root: a, recs: recs})
	}
	if len(files) == 0 {
		return trees, nil
	}
	loaded, err := loadTraining(files, spec.Options{Overrides: overrides})
	if err != nil {
		return nil, err
	}
	for _, f := range loaded {
		root := filepath.Join(resultsDir, f.name)
		recs, err := results.ReadTree(root)
		if err != nil {
			return nil, err
		}
		want := map[string]bool{}
		for _, r := range f.plan.Runs {
			want[results.RunDirName(r)] = true
		}
		recs = slices.DeleteFunc(recs, func(r *results.Record) bool { return !want[r.DirName()] })
		trees = append(trees, treeRuns{root: root, recs: recs})
	}
	return trees, nil
}

// resultTrees lists the results trees under dir: its subdirectories that
// hold runs/ or sweeps.json, sorted.
func resultTrees(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: no results directory: %w", dir, err)
	}
	var roots []string
	for _, e := range entries {
		root := filepath.Join(dir, e.Name())
		if e.IsDir() && isResultsTree(root) {
			roots = append(roots, root)
		}
	}
	sort.Strings(roots)
	return roots, nil
}

// treesAt is dir when it is a results tree itself, else the results
// trees under it (see resultTrees): what a --results DIR names for the
// commands that take either.
func treesAt(dir string) ([]string, error) {
	if isResultsTree(dir) {
		return []string{dir}, nil
	}
	return resultTrees(dir)
}

// isResultsTree reports whether root looks like a results tree: it holds
// sweeps.json or runs/.
func isResultsTree(root string) bool {
	for _, name := range []string{report.IndexFile, results.RunsDir} {
		if _, err := os.Stat(filepath.Join(root, name)); err == nil {
			return true
		}
	}
	return false
}

// checkColumns insists that every name is a column, suggesting the
// nearest one for a typo.
func checkColumns(flag string, names []string) error {
	all := runColumns()
	for _, n := range names {
		if !slices.Contains(all, n) {
			hint := yamlfile.DidYouMean(yamlfile.Closest(n, all))
			return usagef("%s: unknown column %q%s; valid: %s", flag, n, hint, strings.Join(all, ", "))
		}
	}
	return nil
}

// number reads a numeric cell; ok is false for text and empty cells.
func number(s string) (float64, bool) {
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

// condition is one test of --where: COLUMN OP VALUE.
type condition struct {
	col, op, val string
}

// parseWhere reads --where: conditions separated by commas, each COLUMN
// followed by =, !=, <, <=, > or >= and a value.
func parseWhere(s string) ([]condition, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []condition
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		i := strings.IndexAny(part, "=!<>")
		if i <= 0 {
			return nil, usagef("--where %q: want COLUMN OP VALUE with OP one of = != < <= > >=, e.g. arch=maxpool,l1<0.01", part)
		}
		op := part[i : i+1]
		if i+1 < len(part) && part[i+1] == '=' {
			op += "="
		}
		if op == "!" || op == "==" {
			return nil, usagef("--where %q: want COLUMN OP VALUE with OP one of = != < <= > >=", part)
		}
		c := condition{col: strings.TrimSpace(part[:i]), op: op, val: strings.TrimSpace(part[i+len(op):])}
		if err := checkColumns("--where", []string{c.col}); err != nil {
			return nil, err
		}
		if c.op != "=" && c.op != "!=" && slices.Contains(textColumns, c.col) {
			return nil, usagef("--where %q: %s is text; compare it with = or !=", part, c.col)
		}
		if _, ok := number(c.val); c.op != "=" && c.op != "!=" && !ok {
			return nil, usagef("--where %q: %q is not a number", part, c.val)
		}
		out = append(out, c)
	}
	return out, nil
}

// match reports whether the row passes the condition. Numbers compare as
// numbers (l1=0.0001 matches 1e-4); = on text also takes a glob (arch=max*).
func (c condition) match(r runRow) bool {
	got := r[c.col]
	a, aok := number(got)
	b, bok := number(c.val)
	if aok && bok && !slices.Contains(textColumns, c.col) {
		switch c.op {
		case "=":
			return a == b
		case "!=":
			return a != b
		case "<":
			return a < b
		case "<=":
			return a <= b
		case ">":
			return a > b
		case ">=":
			return a >= b
		}
	}
	eq := got == c.val
	if ok, err := filepath.Match(c.val, got); err == nil && ok {
		eq = true
	}
	switch c.op {
	case "=":
		return eq
	case "!=":
		return !eq
	}
	return false // an ordering on a value that is not a number
}

// sortKey is one key of --sort: a column, descending when written -col.
type sortKey struct {
	col  string
	desc bool
}

func parseSort(s string) ([]sortKey, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []sortKey
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		k := sortKey{col: strings.TrimLeft(part, "+-"), desc: strings.HasPrefix(part, "-")}
		if err := checkColumns("--sort", []string{k.col}); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

// sortRows orders rows by the keys (numbers as numbers, empty cells last),
// keeping the order of equal rows.
func sortRows(rows []runRow, keys []sortKey) {
	sort.SliceStable(rows, func(i, j int) bool {
		for _, k := range keys {
			a, b := rows[i][k.col], rows[j][k.col]
			if a == b {
				continue
			}
			if a == "" || b == "" {
				return b == ""
			}
			less := a < b
			x, xok := number(a)
			y, yok := number(b)
			if xok && yok && !slices.Contains(textColumns, k.col) {
				if x == y {
					continue
				}
				less = x < y
			}
			if k.desc {
				return !less
			}
			return less
		}
		return false
	})
}

// displayCell shortens a number for a table on screen: four significant
// digits, whole numbers from 1000 up; --csv and --json give the values
// unrounded.
func displayCell(col, s string) string {
	if slices.Contains(textColumns, col) {
		return s
	}
	v, ok := number(s)
	if !ok || strings.IndexAny(s, ".eE") < 0 {
		return s
	}
	if math.Abs(v) >= 1000 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// writeTable prints rows as aligned columns with a header in capitals.
func writeTable(w io.Writer, cols []string, rows []runRow) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	head := make([]string, len(cols))
	for i, c := range cols {
		head[i] = strings.ToUpper(c)
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, r := range rows {
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = displayCell(c, r[c])
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// writeCSV prints rows as CSV with the columns' names as header.
func writeCSV(w io.Writer, cols []string, rows []runRow) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(cols)
	for _, r := range rows {
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = r[c]
		}
		_ = cw.Write(cells)
	}
	cw.Flush()
	return cw.Error()
}

// jsonValue is a cell as JSON: text columns as strings, git_dirty as a
// boolean, numbers as numbers, an empty or non-finite cell as null, and
// anything else as text.
func jsonValue(col, s string) any {
	if slices.Contains(textColumns, col) {
		return s
	}
	if col == "git_dirty" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil
		}
		return b
	}
	v, ok := number(s)
	switch {
	case s == "" || ok && (math.IsNaN(v) || math.IsInf(v, 0)):
		return nil
	case !ok:
		return s // a text column runs.csv gained since this list was written
	}
	return json.Number(s)
}

// jsonRows is rows as a list of objects holding the columns.
func jsonRows(cols []string, rows []runRow) []map[string]any {
	out := make([]map[string]any, 0, len(rows))
	for _, r := range rows {
		obj := make(map[string]any, len(cols))
		for _, c := range cols {
			obj[c] = jsonValue(c, r[c])
		}
		out = append(out, obj)
	}
	return out
}

// writeJSON prints v indented, with a final newline.
func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
