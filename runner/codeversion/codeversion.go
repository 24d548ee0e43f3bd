// Package codeversion derives the identity of the training code, part of
// every run's cache key (runner/exec.Key), from the code itself: a SHA-256
// over the source of the packages that compute a run's numbers, embedded in
// the binary at build time (each package's Source), and the versions of
// the modules they link. Nobody bumps it by hand, and it is the same for
// every binary built from an unchanged tree (convlab, go run ., test
// binaries).
//
// What counts: Go files without their comments (a token stream, so that
// editing a comment or reformatting keeps every cached run) but with their
// //go: directives (build constraints, embed, noescape), assembly files as
// they are, file names included; _test.go files do not count. Any other
// change of these packages' source, even one that changes no number,
// trains every run again: a cautious identity, not a minimal one.
package codeversion

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"go/scanner"
	"go/token"
	"hash"
	"io/fs"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"convlab/arch"
	"convlab/arch/kernels"
	"convlab/arch/net"
	"convlab/arch/ops"
	"convlab/runner/dataset"
	"convlab/runner/results"
	"convlab/runner/train"
)

// Package is one package whose source is part of the identity.
type Package struct {
	Path   string // import path
	Source fs.FS  // its embedded source
}

// Packages are the packages that compute a run's results: the network, its
// operations and kernels, training, data preparation and the metrics. The
// other convlab packages training imports (spec, progress, atomicfile) do
// not change numbers: a run's settings enter its key through its hash.
// TestPackagesCoverTraining keeps this list in step with the imports.
var Packages = []Package{
	{"convlab/arch", arch.Source},
	{"convlab/arch/kernels", kernels.Source},
	{"convlab/arch/net", net.Source},
	{"convlab/arch/ops", ops.Source},
	{"convlab/runner/dataset", dataset.Source},
	{"convlab/runner/results", results.Source},
	{"convlab/runner/train", train.Source},
}

// Modules are the modules linked by training whose versions are part of
// the identity (those of go.mod, as the build recorded them).
// TestModulesCoverTraining keeps this list in step with the imports.
var Modules = []string{
	"github.com/apache/arrow/go/arrow",
	"github.com/awalterschulze/gographviz",
	"github.com/chewxy/hm",
	"github.com/chewxy/math32",
	"github.com/gogo/protobuf",
	"github.com/golang/protobuf",
	"github.com/google/flatbuffers",
	"github.com/leesper/go_rng",
	"github.com/pkg/errors",
	"github.com/xtgo/set",
	"go4.org/unsafe/assume-no-moving-gc",
	"golang.org/x/sys",
	"golang.org/x/term",
	"golang.org/x/xerrors",
	"gonum.org/v1/gonum",
	"google.golang.org/protobuf",
	"gopkg.in/yaml.v3",
	"gorgonia.org/dawson",
	"gorgonia.org/gorgonia",
	"gorgonia.org/tensor",
	"gorgonia.org/vecf32",
	"gorgonia.org/vecf64",
}

var version = sync.OnceValues(func() (string, error) {
	return Compute(Packages, moduleVersions())
})

// Version is the identity of the training code: 16 hex digits. It panics
// when an embedded Go file does not scan, which the build already rules
// out.
func Version() string {
	v, err := version()
	if err != nil {
		panic(err)
	}
	return v
}

// moduleVersions are the versions of Modules in this binary's build
// information ("(unknown)" for one it does not record, e.g. without
// module support).
func moduleVersions() map[string]string {
	out := map[string]string{}
	info, ok := debug.ReadBuildInfo()
	for _, m := range Modules {
		out[m] = "(unknown)"
	}
	if !ok {
		return out
	}
	for _, d := range info.Deps {
		if _, ok := out[d.Path]; !ok {
			continue
		}
		v := d.Version
		if d.Replace != nil {
			v = "=> " + d.Replace.Path + " " + d.Replace.Version
		}
		out[d.Path] = v
	}
	return out
}

// Compute is the identity of the given packages' source and module
// versions (see the package comment).
func Compute(pkgs []Package, modules map[string]string) (string, error) {
	h := sha256.New()
	for _, p := range pkgs {
		if err := hashPackage(h, p); err != nil {
			return "", err
		}
	}
	names := make([]string, 0, len(modules))
	for m := range modules {
		names = append(names, m)
	}
	sort.Strings(names)
	for _, m := range names {
		fmt.Fprintf(h, "module %s %s\n", m, modules[m])
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func hashPackage(h hash.Hash, p Package) error {
	entries, err := fs.ReadDir(p.Source, ".")
	if err != nil {
		return fmt.Errorf("source of %s: %w", p.Path, err)
	}
	fmt.Fprintf(h, "package %s\n", p.Path)
	for _, e := range entries { // ReadDir sorts by name
		name := e.Name()
		if e.IsDir() || strings.HasSuffix(name, "_test.go") {
			continue
		}
		b, err := fs.ReadFile(p.Source, name)
		if err != nil {
			return fmt.Errorf("source of %s: %w", p.Path, err)
		}
		fmt.Fprintf(h, "file %s\n", name)
		if !strings.HasSuffix(name, ".go") {
			fmt.Fprintf(h, "%d\n", len(b))
			h.Write(b)
			continue
		}
		if err := hashGoTokens(h, p.Path+"/"+name, b); err != nil {
			return err
		}
	}
	return nil
}

// hashGoTokens hashes a Go file's tokens: comments left out except //go:
// directives and +build lines, which change what is built.
func hashGoTokens(h hash.Hash, name string, src []byte) error {
	fset := token.NewFileSet()
	file := fset.AddFile(name, -1, len(src))
	var errs scanner.ErrorList
	var s scanner.Scanner
	s.Init(file, src, func(pos token.Position, msg string) { errs.Add(pos, msg) }, scanner.ScanComments)
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok == token.COMMENT && !strings.HasPrefix(lit, "//go:") && !strings.HasPrefix(lit, "// +build") {
			continue
		}
		fmt.Fprintf(h, "%s %q\n", tok, lit)
	}
	if errs.Len() > 0 {
		return fmt.Errorf("source of the training code: %w", errs.Err())
	}
	return nil
}
