package arch

import (
	"fmt"
	"strconv"
	"strings"
)

// kerasLayer maps a layer kind to Keras' class name and the base of its
// automatic layer names.
var kerasLayer = map[string][2]string{
	KindConv2D:    {"Conv2D", "conv2d"},
	KindMaxPool2D: {"MaxPooling2D", "max_pooling2d"},
	KindDropout:   {"Dropout", "dropout"},
	KindFlatten:   {"Flatten", "flatten"},
	KindDense:     {"Dense", "dense"},
}

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
	counts := map[string]int{}
	total := 0
	for i, li := range infos {
		k := kerasLayer[li.Layer.Kind]
		name := k[1]
		if n := counts[k[1]]; n > 0 {
			name = fmt.Sprintf("%s_%d", k[1], n)
		}
		counts[k[1]]++
		b.WriteString(row(fmt.Sprintf("%s (%s)", name, k[0]), li.Output.String(), strconv.Itoa(li.Params)) + "\n")
		if i < len(infos)-1 {
			b.WriteString(strings.Repeat("_", width) + "\n")
		}
		total += li.Params
	}
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
