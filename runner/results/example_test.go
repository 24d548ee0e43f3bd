package results_test

import (
	"fmt"
	"os"
	"path/filepath"

	"convlab/runner/results"
)

func ExampleComputeReport() {
	yTrue := []int{0, 0, 0, 1, 1, 2, 2}
	yPred := []int{0, 0, 1, 1, 0, 0, 0}
	rep := results.ComputeReport(yTrue, yPred, []string{"cat", "dog", "frog"})
	for _, c := range rep.Classes {
		fmt.Printf("%-4s precision %.3f recall %.3f f1 %.3f support %d\n", c.Label, c.Precision, c.Recall, c.F1, c.Support)
	}
	fmt.Printf("accuracy %.3f, macro f1 %.3f, weighted f1 %.3f\n", rep.Accuracy, rep.Macro.F1, rep.Weighted.F1)
	// Output:
	// cat  precision 0.400 recall 0.667 f1 0.500 support 3
	// dog  precision 0.500 recall 0.500 f1 0.500 support 2
	// frog precision 0.000 recall 0.000 f1 0.000 support 2
	// accuracy 0.429, macro f1 0.333, weighted f1 0.357
}

func ExampleConfusion() {
	m := results.Confusion([]int{0, 0, 1, 2}, []int{0, 1, 1, 0}, 3)
	fmt.Print(string(results.EncodeConfusion(m, []string{"cat", "dog", "frog"})))
	// Output:
	// true\predicted,cat,dog,frog
	// cat,1,1,0
	// dog,0,1,0
	// frog,1,0,0
}

func ExampleWriteRunFiles() {
	dir, err := os.MkdirTemp("", "run")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	rec := sampleRecord("strided-n5000-l1_0.0001", 5000, 1e-4)
	if err := results.WriteRunFiles(dir, rec); err != nil {
		panic(err)
	}
	back, err := results.ReadRunDir(dir)
	if err != nil {
		panic(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, results.HistoryFile))
	fmt.Print(string(b))
	fmt.Println(back.Run.ID, len(back.History), "epochs, test accuracy", back.Metrics.Test.Accuracy)
	// Output:
	// epoch,loss,accuracy,val_loss,val_accuracy,seconds
	// 1,2.1023,0.2511,1.9,0.31,12.5
	// 2,1.7,0.3333333333333333,1.6500000000000001,0.37,11.25
	// 3,1.5,0.45,1.55,0.4,1e-07
	// strided-n5000-l1_0.0001 3 epochs, test accuracy 0.42857142857142855
}
