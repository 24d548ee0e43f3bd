package report

import (
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"

	"convlab/arch"
	"convlab/runner/dataset"
	"convlab/runner/results"
)

// archEntry is a distinct architecture of the report and a run using it.
type archEntry struct {
	a   arch.Arch
	run *results.Record
}

// architectures lists the distinct architectures in the order the sweeps
// first use them.
func architectures(m *contents) []archEntry {
	var out []archEntry
	seen := map[string]bool{}
	add := func(r *results.Record) {
		b, _ := json.Marshal(r.Run.Arch.Layers)
		key := r.Run.Arch.Name + "\x00" + string(b) + "\x00" + r.Run.Dataset
		if !seen[key] {
			seen[key] = true
			out = append(out, archEntry{r.Run.Arch, r})
		}
	}
	for _, v := range m.Sweeps {
		for _, r := range v.Recs {
			add(r)
		}
	}
	for _, r := range m.Recs {
		add(r)
	}
	return out
}

// modelSummary is Keras' model.summary() of an architecture on a data
// set's images, as Markdown.
func modelSummary(e archEntry) string {
	var b strings.Builder
	info, err := dataset.Lookup(e.run.Run.Dataset)
	if err != nil {
		fmt.Fprintf(&b, "No summary: %v.\n", err)
		return b.String()
	}
	in := arch.Shape{C: info.C, H: info.H, W: info.W}
	layers, err := e.run.Run.Network().Infer(in)
	if err != nil {
		fmt.Fprintf(&b, "No summary: %v.\n", err)
		return b.String()
	}
	fmt.Fprintf(&b, "Input: %s images, %d x %d x %d (height x width x channels).\n\n", info.Name, info.H, info.W, info.C)
	t := table{Header: []string{"Layer (type)", "Output Shape", "Param #"}}
	for _, l := range layers {
		desc := fmt.Sprintf("%s (%s)", l.Name, l.Class)
		t.Rows = append(t.Rows, []cell{textCell(desc), textCell(l.Output.String()), intCell(l.Params)})
	}
	total := arch.TotalParams(layers)
	b.WriteString(t.markdown())
	fmt.Fprintf(&b, "\nTotal params: %s (trainable: %s, non-trainable: 0)\n", groupThousands(total), groupThousands(total))
	return b.String()
}

// classificationMarkdown is a classification report in scikit-learn's
// layout.
func classificationMarkdown(rep results.ClassificationReport) string {
	t := table{Header: []string{"", "precision", "recall", "f1-score", "support"}}
	row := func(s results.ClassScores) []cell {
		return []cell{textCell(s.Label), accCell(s.Precision), accCell(s.Recall), accCell(s.F1), intCell(s.Support)}
	}
	for _, c := range rep.Classes {
		t.Rows = append(t.Rows, row(c))
	}
	t.Rows = append(t.Rows, []cell{textCell("**accuracy**"), textCell(""), textCell(""), accCell(rep.Accuracy), intCell(rep.Macro.Support)})
	macro, weighted := rep.Macro, rep.Weighted
	macro.Label, weighted.Label = "**macro avg**", "**weighted avg**"
	t.Rows = append(t.Rows, row(macro), row(weighted))
	return t.markdown()
}

// confusionMarkdown is a confusion matrix as a Markdown table.
func confusionMarkdown(m [][]int, classes []string) string {
	name := func(i int) string {
		if i < len(classes) {
			return classes[i]
		}
		return fmt.Sprint(i)
	}
	t := table{Header: []string{`true \ predicted`}}
	for j := range m {
		t.Header = append(t.Header, name(j))
	}
	for i, row := range m {
		r := []cell{textCell("**" + name(i) + "**")}
		for _, v := range row {
			r = append(r, intCell(v))
		}
		t.Rows = append(t.Rows, r)
	}
	return t.markdown()
}

// outputs are the files a build writes, by path relative to the root.
type outputs struct {
	files map[string][]byte
	order []string
}

func (o *outputs) add(rel string, data []byte) {
	if o.files == nil {
		o.files = map[string][]byte{}
	}
	if _, ok := o.files[rel]; !ok {
		o.order = append(o.order, rel)
	}
	o.files[rel] = data
}

// reportWriter accumulates REPORT.md.
type reportWriter struct {
	strings.Builder
}

func (w *reportWriter) f(format string, args ...any) { fmt.Fprintf(w, format, args...) }

func imageLink(alt, rel string) string { return fmt.Sprintf("![%s](%s)\n", alt, rel) }

func link(text, rel string) string { return fmt.Sprintf("[%s](%s)", text, rel) }

// provenanceTable groups the runs by what produced them.
func provenanceTable(recs []*results.Record) table {
	type key struct {
		tool, commit string
		dirty        bool
	}
	type agg struct {
		runs          int
		hosts         map[string]bool
		cores         map[int]bool
		first, latest string
	}
	groups := map[key]*agg{}
	var keys []key
	for _, r := range recs {
		p := r.Provenance
		k := key{p.ToolVersion, p.GitCommit, p.GitDirty}
		g := groups[k]
		if g == nil {
			g = &agg{hosts: map[string]bool{}, cores: map[int]bool{}, first: p.Finished, latest: p.Finished}
			groups[k] = g
			keys = append(keys, k)
		}
		g.runs++
		g.hosts[p.Host] = true
		g.cores[p.Cores] = true
		if p.Finished < g.first {
			g.first = p.Finished
		}
		if p.Finished > g.latest {
			g.latest = p.Finished
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.tool != b.tool {
			return a.tool < b.tool
		}
		if a.commit != b.commit {
			return a.commit < b.commit
		}
		return !a.dirty && b.dirty
	})
	t := table{Header: []string{"Tool version", "Git commit", "Uncommitted changes", "Runs", "Hosts", "Cores", "Finished"}}
	for _, k := range keys {
		g := groups[k]
		hosts := sortedKeys(g.hosts)
		var cores []string
		for c := range g.cores {
			cores = append(cores, fmt.Sprint(c))
		}
		sort.Strings(cores)
		dirty := "no"
		switch {
		case k.commit == "":
			dirty = "unknown" // without a commit there is nothing to compare with
		case k.dirty:
			dirty = "yes"
		}
		when := g.first
		if g.latest != g.first {
			when = g.first + " to " + g.latest
		}
		unknown := func(s string) string {
			if s == "" {
				return "unknown"
			}
			return s
		}
		t.Rows = append(t.Rows, []cell{textCell(unknown(k.tool)), textCell(unknown(k.commit)), textCell(dirty), intCell(g.runs),
			textCell(strings.Join(hosts, ", ")), textCell(strings.Join(cores, ", ")), textCell(when)})
	}
	return t
}

func sortedKeys[T any](m map[string]T) []string {
	return slices.Sorted(maps.Keys(m))
}

// runSettings describes a run's settings in one line.
func runSettings(r *results.Record) string {
	run := r.Run
	return fmt.Sprintf("%s on %s, n = %s, l1 = %s, %d epochs, batch %d, validation split %s, seed %d, %s (learning rate %s)",
		run.Arch.Name, run.Dataset, groupThousands(run.N), results.FormatFloat(run.L1), run.Epochs, run.BatchSize,
		results.FormatFloat(run.ValidationSplit), run.Seed, run.Optimizer.Name, results.FormatFloat(run.Optimizer.LearningRate))
}

func runDirRel(r *results.Record) string { return path.Join(results.RunsDir, dirName(r)) }

// anchor is the GitHub-style anchor of a heading.
func anchor(heading string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(heading) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
			b.WriteRune(c)
		case c == ' ':
			b.WriteRune('-')
		}
	}
	return b.String()
}
