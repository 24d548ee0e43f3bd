package spec

// Plan is everything a set of experiment files asks for: the files with
// their sweeps, and the distinct runs they expand to. A run reached from
// several sweeps (or files) appears once in Runs, listing them all.
type Plan struct {
	Files []*File
	// Runs in order of first appearance: file order, then sweep order,
	// then grid order (first axis slowest).
	Runs []Run
}

// File is one loaded experiment file.
type File struct {
	// Path is the file as given to Load; Name its results directory name
	// (the name: key, or the file's base name without extension).
	Path, Name string
	// Description is the optional description: text.
	Description string
	// Overrides are the command-line settings (-S, -m) applied to the
	// file, as typed, e.g. "-S epochs=10"; empty when there were none.
	Overrides []string
	Sweeps    []Sweep
	// FigureFormats are the formats of figures.formats (see
	// FigureFormats); empty means PNG only.
	FigureFormats []string
}

// Sweep is one named sweep of a file after expansion.
type Sweep struct {
	Name        string
	Description string
	// Feeds are the report items the sweep's runs feed (see ReportItems).
	Feeds []string
	// Axes are the grid keys in the order written; the runs vary along them.
	// Empty for a sweep of a single run.
	Axes []string
	// RunIDs are the IDs of the sweep's runs in grid order (first axis
	// slowest); each is the ID of one of the plan's Runs.
	RunIDs []string
	// Reference is the Run.CellHash of the cell the sweep's cells are
	// compared with (its runs may belong to another sweep of the file);
	// empty when there is none. ReferenceNamed is true when the sweep's
	// reference: chose it, false when it is the file's defaults.
	Reference      string
	ReferenceNamed bool
}

// ReportItems are the report items a sweep can feed, from the study.
var ReportItems = []string{"table1", "table2", "figure2", "figure3", "figure4", "figure5", "figure6"}

// File returns the loaded file with the given name or path, or nil.
func (p *Plan) File(nameOrPath string) *File {
	for _, f := range p.Files {
		if f.Name == nameOrPath {
			return f
		}
	}
	for _, f := range p.Files {
		if f.Path == nameOrPath {
			return f
		}
	}
	return nil
}

// Sweep returns the sweep called name of the file with the given name or
// path, or nil.
func (p *Plan) Sweep(file, name string) *Sweep {
	f := p.File(file)
	if f == nil {
		return nil
	}
	return f.Sweep(name)
}

// Sweep returns the file's sweep called name, or nil.
func (f *File) Sweep(name string) *Sweep {
	for i := range f.Sweeps {
		if f.Sweeps[i].Name == name {
			return &f.Sweeps[i]
		}
	}
	return nil
}

// Run returns the run with the given ID.
func (p *Plan) Run(id string) (Run, bool) {
	for _, r := range p.Runs {
		if r.ID == id {
			return r, true
		}
	}
	return Run{}, false
}

// SweepRuns returns the runs of a sweep, in the sweep's order.
func (p *Plan) SweepRuns(s *Sweep) []Run {
	byID := make(map[string]int, len(p.Runs))
	for i, r := range p.Runs {
		byID[r.ID] = i
	}
	out := make([]Run, 0, len(s.RunIDs))
	for _, id := range s.RunIDs {
		if i, ok := byID[id]; ok {
			out = append(out, p.Runs[i])
		}
	}
	return out
}
