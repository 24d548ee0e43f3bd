package spec

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the loader: it must never panic, and
// must return either a consistent plan or errors located in the file.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*", "*.yaml"))
	more, _ := filepath.Glob(filepath.Join("..", "..", "experiments", "*.yaml"))
	for _, p := range append(seeds, more...) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("sweeps: {a: {grid: {n: [1, 2], seed: [1, 2], l1: [0, 1]}}}"))
	f.Add([]byte("a: &x [*x]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := KindOf("fuzz.yaml", data); err != nil {
			var list Errors
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("KindOf error %v is not a non-empty Errors", err)
			}
		}
		plan, err := LoadData("fuzz.yaml", data)
		if err != nil {
			var list Errors
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %v is not a non-empty Errors", err)
			}
			for _, e := range list {
				if e.File != "fuzz.yaml" || e.Msg == "" {
					t.Fatalf("bad error %#v", e)
				}
			}
			return
		}
		ids := map[string]bool{}
		for _, r := range plan.Runs {
			if r.ID == "" || ids[r.ID] {
				t.Fatalf("empty or repeated run ID %q", r.ID)
			}
			ids[r.ID] = true
			if r.N < 1 || r.Epochs < 1 || r.BatchSize < 1 || r.L1 < 0 || len(r.Arch.Layers) == 0 {
				t.Fatalf("invalid run accepted: %+v", r)
			}
		}
		for _, f := range plan.Files {
			for _, s := range f.Sweeps {
				for _, id := range s.RunIDs {
					if !ids[id] {
						t.Fatalf("sweep %s lists unknown run %s", s.Name, id)
					}
				}
			}
		}
	})
}
