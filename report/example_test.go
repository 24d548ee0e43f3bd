package report_test

import (
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
	b, _ := os.ReadFile(filepath.Join(root, "tables", "data_amount.csv"))
	fmt.Print(string(b))
	// Output:
	// architectures.csv
	// baselines.csv
	// data_amount.csv
	// l1.csv
	// runs.csv
	// Data Amount,Train Accuracy,Validate Accuracy,Running Time,Test Accuracy,Params,Run ID
	// 5000,0.4752,0.4258,38.698,0.431,37146,strided-n5000-l1_0.0001
	// 10000,0.5193,0.4615,76.674,0.438,37146,strided-n10000-l1_0.0001
	// 20000,0.5756,0.5313,152.605,0.521,37146,strided-n20000-l1_0.0001
	// 40000,0.6202,0.5517,301.0711,0.56,37146,strided-n40000-l1_0.0001
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
