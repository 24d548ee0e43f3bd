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
	row := func(fields ...string) string {
		var b strings.Builder
		for i, f := range fields {
			b.WriteString(f)
			s := b.String()
			if len(s) > cols[i] {
				s = s[:cols[i]]
			}
			b.Reset()
			b.WriteString(s)
			b.WriteString(strings.Repeat(" ", cols[i]-len(s)))
		}
		return strings.TrimRight(b.String(), " ")
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
