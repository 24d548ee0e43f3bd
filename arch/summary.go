package arch

import (
	"fmt"
	"strconv"
	"strings"
)

// Summary formats the network as Keras' model.summary() prints a
// Sequential model (the classic 65-column layout): one row per layer with
// its name and type, output shape (channels last, batch None) and
// parameter count, then the totals. Every parameter is trainable.
func Summary(a Arch, in Shape) (string, error) {
	infos, err := a.Infer(in)
	if err != nil {
		return "", fmt.Errorf("summary of %s: %w", a.Name, err)
	}
	const width = 65
	cols := []int{29, 55, 65}
	// row lays the fields out at the column stops with at least one space
	// between them; a field too long for its column wraps onto further
	// lines at a space, as newer Keras does, rather than running into the
	// next column.
	row := func(fields ...string) string {
		cells := make([][]string, len(fields))
		lines := 1
		for i, f := range fields {
			start := 0
			if i > 0 {
				start = cols[i-1]
			}
			cells[i] = wrap(f, cols[i]-start-1)
			lines = max(lines, len(cells[i]))
		}
		var out []string
		for l := 0; l < lines; l++ {
			var b strings.Builder
			for i := range fields {
				if l < len(cells[i]) {
					b.WriteString(cells[i][l])
				}
				if pad := cols[i] - b.Len(); pad > 0 {
					b.WriteString(strings.Repeat(" ", pad))
				}
			}
			out = append(out, strings.TrimRight(b.String(), " "))
		}
		return strings.Join(out, "\n")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Model: %q\n", a.Name)
	b.WriteString(strings.Repeat("_", width) + "\n")
	b.WriteString(row("Layer (type)", "Output Shape", "Param #") + "\n")
	b.WriteString(strings.Repeat("=", width) + "\n")
	for i, li := range infos {
		b.WriteString(row(fmt.Sprintf("%s (%s)", li.Name, li.Class), li.Output.String(), strconv.Itoa(li.Params)) + "\n")
		if i < len(infos)-1 {
			b.WriteString(strings.Repeat("_", width) + "\n")
		}
	}
	total := TotalParams(infos)
	b.WriteString(strings.Repeat("=", width) + "\n")
	fmt.Fprintf(&b, "Total params: %s\n", thousands(total))
	fmt.Fprintf(&b, "Trainable params: %s\n", thousands(total))
	b.WriteString("Non-trainable params: 0\n")
	b.WriteString(strings.Repeat("_", width) + "\n")
	return b.String(), nil
}

// thousands formats n with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []string
	for len(s) > 3 {
		out = append([]string{s[len(s)-3:]}, out...)
		s = s[:len(s)-3]
	}
	out = append([]string{s}, out...)
	r := strings.Join(out, ",")
	if neg {
		r = "-" + r
	}
	return r
}

// wrap splits s into lines of at most width bytes, at spaces where it can.
func wrap(s string, width int) []string {
	var lines []string
	for len(s) > width {
		cut := strings.LastIndexByte(s[:width+1], ' ')
		if cut <= 0 {
			lines = append(lines, s[:width])
			s = s[width:]
			continue
		}
		lines = append(lines, s[:cut])
		s = strings.TrimLeft(s[cut:], " ")
	}
	return append(lines, s)
}
