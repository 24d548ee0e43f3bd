package report_test

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"convlab/report"
)

// Build a report from a results tree: here a copy of the test fixture's
// (results/<file name>/ with runs/ and sweeps.json).
func ExampleBuild() {
	tmp, err := os.MkdirTemp("", "results")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(tmp)
	root := filepath.Join(tmp, "report")
	if err := os.CopyFS(root, os.DirFS(filepath.Join("testdata", "tree", "report"))); err != nil {
		panic(err)
	}
	if err := report.Build(root, nil); err != nil {
		panic(err)
	}
	tables, _ := filepath.Glob(filepath.Join(root, "tables", "*.csv"))
	sort.Strings(tables)
	for _, t := range tables {
		fmt.Println(filepath.Base(t))
	}
	// One row per cell; a spreadsheet (or encoding/csv) finds columns by name.
	f, _ := os.Open(filepath.Join(root, "tables", "data_amount.csv"))
	defer f.Close()
	rows, _ := csv.NewReader(f).ReadAll()
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, row := range rows[1:] {
		fmt.Printf("n %s: val_accuracy_mean %s, sd %q, seeds %s\n", row[col["n"]], row[col["val_accuracy_mean"]], row[col["val_accuracy_sd"]], row[col["seeds"]])
	}
	// Output:
	// architectures.csv
	// baselines.csv
	// comparisons.csv
	// data_amount.csv
	// l1.csv
	// runs.csv
	// n 5000: val_accuracy_mean 0.4258, sd "", seeds 1
	// n 10000: val_accuracy_mean 0.4615, sd "", seeds 1
	// n 20000: val_accuracy_mean 0.5313, sd "", seeds 1
	// n 40000: val_accuracy_mean 0.5517, sd "", seeds 1
}

// The runner records the experiment file's sweeps next to its runs, so
// that the report can be rebuilt from the results tree alone.
func ExampleWritePlanIndex() {
	root, err := os.MkdirTemp("", "results")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(root)
	err = report.WritePlanIndex(root, []report.SweepInfo{{Name: "l1", Feeds: []string{"table2", "figure4"},
		Axes: []string{"l1"}, RunIDs: []string{"strided-n5000-l1_0.001", "strided-n5000-l1_0.01"}}})
	if err != nil {
		panic(err)
	}
	sweeps, ok, err := report.ReadPlanIndex(root)
	fmt.Println(ok, err, sweeps[0].Name, sweeps[0].Feeds, len(sweeps[0].RunIDs))
	// Output:
	// true <nil> l1 [table2 figure4] 2
}
