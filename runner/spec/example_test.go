package spec_test

import (
	"fmt"
	"log"

	"convlab/runner/spec"
)

func ExampleLoadData() {
	plan, err := spec.LoadData("experiments/l1.yaml", []byte(`
defaults: {n: 2000, epochs: 5}
sweeps:
  baseline:
    feeds: [figure2]
  l1:
    feeds: [table2, figure4]
    grid: {l1: [0.0001, 0.01]}
`))
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range plan.Runs {
		fmt.Println(r.ID, r.Sweeps)
	}
	s := plan.Sweep("l1", "l1")
	fmt.Println(s.Axes, len(s.RunIDs))
	// Output:
	// strided-n2000-l1_0.0001-e5-s1 [baseline l1]
	// strided-n2000-l1_0.01-e5-s1 [l1]
	// [l1] 2
}

func ExampleLoadData_errors() {
	_, err := spec.LoadData("exp.yaml", []byte(`
defaults:
  epoch: 20
  n: 60000
sweeps:
  one: {grid: {arch: [strided, maxpol]}}
`))
	fmt.Println(err)
	// Output:
	// exp.yaml:3:3: defaults.epoch: unknown key "epoch" (did you mean epochs?); valid: dataset, data_dir, arch, n, l1, epochs, batch_size, validation_split, seed, repeats, optimizer
	// exp.yaml:4:6: defaults.n: 60000 is more than the 50000 training images of cifar10; valid: 1 to 50000
	// exp.yaml:6:32: sweeps.one.grid.arch[1]: unknown architecture "maxpol" (did you mean maxpool?); valid: deeper, maxpool, strided
}

func ExampleKind() {
	kind, err := spec.KindOf("figure1.yaml", []byte("kind: convolution\nimage: images/photo.png\n"))
	fmt.Println(kind, err)
	// Output: convolution <nil>
}

func ExamplePlan_SweepRuns() {
	plan, err := spec.LoadData("smoke.yaml", []byte(`
defaults: {n: 1000, epochs: 2}
sweeps:
  figure2: {feeds: [figure2]}
  architectures:
    feeds: [figure5]
    grid: {arch: [strided, maxpool]}
`))
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range plan.Files {
		fmt.Printf("%s (results/%s/)\n", f.Path, f.Name)
		for i := range f.Sweeps {
			s := &f.Sweeps[i]
			fmt.Printf("  sweep %s over %v; feeds %v\n", s.Name, s.Axes, s.Feeds)
			for _, r := range plan.SweepRuns(s) {
				fmt.Printf("    %s\n", r.ID)
			}
			fmt.Printf("    compared with the defaults' cell: %v\n", s.Reference == plan.Runs[0].CellHash() && !s.ReferenceNamed)
		}
	}
	fmt.Printf("%d distinct runs\n", len(plan.Runs))
	// Output:
	// smoke.yaml (results/smoke/)
	//   sweep figure2 over []; feeds [figure2]
	//     strided-n1000-l1_0.0001-e2-s1
	//     compared with the defaults' cell: true
	//   sweep architectures over [arch]; feeds [figure5]
	//     strided-n1000-l1_0.0001-e2-s1
	//     maxpool-n1000-l1_0.0001-e2-s1
	//     compared with the defaults' cell: true
	// 2 distinct runs
}
