package yamlfile

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem found in a file. It prints as
// "FILE:LINE:COL: field: what is wrong; valid: ...", the form editors and
// terminals turn into a link to the offending spot.
type Error struct {
	File   string
	Line   int // 1-based; 0 when the problem concerns the whole file
	Column int // 1-based; 0 when unknown
	// Field is the dotted path of the offending setting, for example
	// "sweeps.l1.grid.l1[2]"; empty for problems of the whole file.
	Field string
	Msg   string
	// Err is the underlying error, if any (for example from reading the file).
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Errors is every problem found while loading files, one per line when
// printed; loaders return it whenever anything is wrong, so that a user
// can fix all of them in one pass.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the individual errors, for errors.Is and errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// Sorted returns the errors ordered by file (in the given order of files),
// then line and column, without exact duplicates.
func (es Errors) Sorted(fileOrder map[string]int) Errors {
	out := make(Errors, 0, len(es))
	seen := map[string]bool{}
	for _, e := range es {
		s := e.Error()
		if seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if fa, fb := fileOrder[a.File], fileOrder[b.File]; fa != fb {
			return fa < fb
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return out
}
