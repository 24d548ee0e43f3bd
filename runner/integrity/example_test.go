package integrity_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"convlab/runner/integrity"
	"convlab/runner/results"
)

// A run directory sealed with the sizes and hashes of its files, then
// damaged twice: a truncation that the sizes show, and a changed byte that
// only the hashes show.
func ExampleCheckRunDir() {
	dir, _ := os.MkdirTemp("", "run")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "history.csv"), []byte("epoch,loss\n1,2.3\n2,1.9\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "weights.bin"), []byte("CONVLAB1\n..."), 0o644)
	files, _ := integrity.SumFiles(dir)
	done, _ := json.Marshal(integrity.Done{Key: "k", Files: files})
	os.WriteFile(filepath.Join(dir, results.DoneFile), done, 0o644)

	os.Truncate(filepath.Join(dir, "history.csv"), 17)
	os.WriteFile(filepath.Join(dir, "weights.bin"), []byte("CONVLAB1\n.:."), 0o644)
	for _, deep := range []bool{false, true} {
		_, damage := integrity.CheckRunDir(dir, deep)
		fmt.Printf("deep %v:\n", deep)
		for _, d := range damage {
			fmt.Printf("  %s: %s\n", d.File, d.Problem)
		}
	}
	// Output:
	// deep false:
	//   history.csv: 17 bytes, DONE records 23
	// deep true:
	//   history.csv: 17 bytes, DONE records 23
	//   weights.bin: SHA-256 37f6d180aa4116f8, DONE records 5af6b912e4ef3968
}
