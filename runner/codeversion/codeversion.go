// Package codeversion derives the identity of the training code, part of
// every run's cache key (runner/grid.Key), from the code itself: a SHA-256
// over the source of the packages that compute a run's numbers, embedded in
// the binary at build time (each package's Source), and the versions of
// the modules they link (Modules, kept in step with go.mod by a test). Nobody bumps it by hand, and it is the same for
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
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"go/scanner"
	"go/token"
	"hash"
	"io/fs"
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
// other convlab packages training imports (spec, yamlfile, progress,
// atomicfile) do not change numbers: a run's settings enter its key
// through its hash. What checks finished runs (runner/integrity: DONE
// markers, SHA-256 verification) is kept out of training's imports, so
// that fixing it retrains nothing. TestPackagesCoverTraining keeps this
// list in step with the imports.
var Packages = []Package{
	{"convlab/arch", arch.Source},
	{"convlab/arch/kernels", kernels.Source},
	{"convlab/arch/net", net.Source},
	{"convlab/arch/ops", ops.Source},
	{"convlab/runner/dataset", dataset.Source},
	{"convlab/runner/results", results.Source},
	{"convlab/runner/train", train.Source},
}

// Modules are the modules that training links, at the versions go.mod
// selects: part of the identity, so that upgrading gorgonia (say) trains
// every run again. They are written here, not read from the build
// information, because test binaries carry none and every binary must
// agree; TestModulesMatchGoMod fails when go.mod and this list part.
var Modules = map[string]string{
	"github.com/apache/arrow/go/arrow":     "v0.0.0-20211112161151-bc219186db40",
	"github.com/awalterschulze/gographviz": "v2.0.3+incompatible",
	"github.com/chewxy/hm":                 "v1.0.0",
	"github.com/chewxy/math32":             "v1.10.1",
	"github.com/gogo/protobuf":             "v1.3.2",
	"github.com/golang/protobuf":           "v1.5.2",
	"github.com/google/flatbuffers":        "v2.0.6+incompatible",
	"github.com/leesper/go_rng":            "v0.0.0-20190531154944-a612b043e353",
	"github.com/pkg/errors":                "v0.9.1",
	"github.com/xtgo/set":                  "v1.0.0",
	"go4.org/unsafe/assume-no-moving-gc":   "v0.0.0-20231121144256-b99613f794b6",
	"golang.org/x/sys":                     "v0.50.0",
	"golang.org/x/term":                    "v0.48.0",
	"golang.org/x/xerrors":                 "v0.0.0-20200804184101-5ec99f83aff1",
	"gonum.org/v1/gonum":                   "v0.16.0",
	"google.golang.org/protobuf":           "v1.28.0",
	"gopkg.in/yaml.v3":                     "v3.0.1",
	"gorgonia.org/dawson":                  "v1.2.0",
	"gorgonia.org/gorgonia":                "v0.9.18",
	"gorgonia.org/tensor":                  "v0.9.24",
	"gorgonia.org/vecf32":                  "v0.9.0",
	"gorgonia.org/vecf64":                  "v0.9.0",
}

var version = sync.OnceValues(func() (string, error) {
	return Compute(Packages, Modules)
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
	// An automatic semicolon (a line break) just before ) or } is optional
	// Go: "{ return x }" and "{\n\treturn x\n}" are the same code.
	var buf []byte
	put := func(tok token.Token, lit string) {
		// Length-prefixed, so that no two token streams hash alike; the
		// token by name, as its number may change between Go releases.
		name := tok.String()
		buf = binary.AppendUvarint(buf[:0], uint64(len(name)))
		buf = append(buf, name...)
		buf = binary.AppendUvarint(buf, uint64(len(lit)))
		buf = append(buf, lit...)
		h.Write(buf)
	}
	pendingSemicolon := false
	for {
		_, tok, lit := s.Scan()
		if tok == token.COMMENT && !strings.HasPrefix(lit, "//go:") && !strings.HasPrefix(lit, "// +build") {
			continue
		}
		if pendingSemicolon && tok != token.RBRACE && tok != token.RPAREN {
			put(token.SEMICOLON, "\n")
		}
		pendingSemicolon = tok == token.SEMICOLON && lit == "\n"
		if tok == token.EOF {
			break
		}
		if !pendingSemicolon {
			put(tok, lit)
		}
	}
	if errs.Len() > 0 {
		return fmt.Errorf("source of the training code: %w", errs.Err())
	}
	return nil
}
