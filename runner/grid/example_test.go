package grid_test

import (
	"context"
	"fmt"
	"os"

	"convlab/runner/grid"
	"convlab/runner/progress"
	"convlab/runner/results"
	"convlab/runner/spec"
)

func ExampleExecute() {
	root, _ := os.MkdirTemp("", "results")
	defer os.RemoveAll(root)
	runs := []spec.Run{
		{ID: "strided-n1000-s1", Dataset: "cifar10", N: 1000, Epochs: 2, Seed: 1},
		{ID: "strided-n2000-s1", Dataset: "cifar10", N: 2000, Epochs: 2, Seed: 1},
	}
	train := func(ctx context.Context, run spec.Run, dir string, p progress.Reporter) (*results.Record, error) {
		// Real training resumes from grid.CheckpointerFrom(ctx), uses
		// grid.Threads(ctx) threads and reports each batch and epoch to p.
		return &results.Record{Run: run, History: []results.Epoch{{Epoch: 1}, {Epoch: 2}}}, nil
	}
	opt := grid.Options{Root: root, Jobs: 2, Train: train,
		DataIdentity: func(spec.Run) (string, error) { return "cifar10:example", nil }}
	sum, err := grid.Execute(context.Background(), runs, opt)
	fmt.Println(sum, err)
	sum, err = grid.Execute(context.Background(), runs, opt)
	fmt.Println(sum, err)
	// Output:
	// 2 done, 0 skipped, 0 failed <nil>
	// 0 done, 2 skipped, 0 failed <nil>
}
