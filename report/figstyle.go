package report

import (
	"image/color"
	"math"
	"slices"
	"sort"
	"strconv"

	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/vg"

	"convlab/runner/results"
)

// Colours. A colour means one thing throughout a report: an architecture
// (a qualitative palette), or a value of a numeric axis (a sequential
// palette per axis, lighter for smaller values). Training and validation
// differ by line style, not colour: solid with circles, dashed with squares.

// qualitative is the Okabe-Ito palette, distinct for colour-blind readers,
// then Tableau's purple, brown and olive.
var qualitative = []color.RGBA{
	{0, 114, 178, 255},   // blue
	{213, 94, 0, 255},    // vermillion
	{0, 158, 115, 255},   // bluish green
	{204, 121, 167, 255}, // reddish purple
	{230, 159, 0, 255},   // orange
	{86, 180, 233, 255},  // sky blue
	{0, 0, 0, 255},       // black
	{148, 103, 189, 255}, // purple
	{140, 86, 75, 255},   // brown
	{188, 189, 34, 255},  // olive
}

func qualitativeColor(i int) color.RGBA { return qualitative[i%len(qualitative)] }

// Sequential ramps, light to dark, by axis: the number of images from
// yellow-green to blue (viridis without its purple end), the L1 penalty
// from yellow through red to purple (inferno), any other numeric axis in
// blues.
var (
	viridisRamp = []color.RGBA{{180, 222, 44, 255}, {110, 206, 88, 255}, {53, 183, 121, 255}, {31, 158, 137, 255},
		{38, 130, 142, 255}, {49, 104, 142, 255}, {62, 74, 137, 255}}
	infernoRamp = []color.RGBA{{245, 190, 40, 255}, {248, 142, 12, 255}, {229, 92, 48, 255}, {188, 55, 84, 255},
		{137, 34, 106, 255}, {87, 16, 110, 255}, {40, 11, 84, 255}}
	bluesRamp = []color.RGBA{{130, 186, 219, 255}, {66, 146, 198, 255}, {33, 113, 181, 255}, {8, 81, 156, 255}, {8, 48, 107, 255}}
)

// bluesLightest is the light end of matplotlib's Blues, which bluesRamp
// leaves out (too pale for a line) but a heat map's empty cells want.
var bluesLightest = color.RGBA{247, 251, 255, 255}

// bluePalette is a heat map's palette of n colours, from bluesLightest to
// the dark end of bluesRamp, as matplotlib's Blues.
type bluePalette int

var _ palette.Palette = bluePalette(0)

func (b bluePalette) Colors() []color.Color {
	lo, hi := bluesLightest, bluesRamp[len(bluesRamp)-1]
	mix := func(x, y uint8, t float64) uint8 { return uint8(float64(x) + (float64(y)-float64(x))*t) }
	out := make([]color.Color, int(b))
	for i := range out {
		t := float64(i) / float64(int(b)-1)
		out[i] = color.RGBA{R: mix(lo.R, hi.R, t), G: mix(lo.G, hi.G, t), B: mix(lo.B, hi.B, t), A: 255}
	}
	return out
}

func rampFor(axis string) []color.RGBA {
	switch axis {
	case "n":
		return viridisRamp
	case "l1":
		return infernoRamp
	}
	return bluesRamp
}

// rampColor is the colour at t in [0, 1] of a ramp, interpolated.
func rampColor(ramp []color.RGBA, t float64) color.RGBA {
	t = math.Max(0, math.Min(1, t)) * float64(len(ramp)-1)
	i := min(int(t), len(ramp)-2)
	f := t - float64(i)
	a, b := ramp[i], ramp[i+1]
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + (float64(y)-float64(x))*f)) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 255}
}

// numericAxes are the axes whose values are numbers, drawn with a
// sequential palette in increasing order.
var numericAxes = []string{"n", "l1", "epochs", "batch_size", "validation_split", "seed"}

// axisNumber is a run's value of a numeric axis.
func axisNumber(r *results.Record, axis string) float64 {
	v, err := strconv.ParseFloat(axisValue(r.Run, axis), 64)
	if err != nil {
		return math.NaN()
	}
	return v
}

// styler assigns the colours of one report, from all its records, so that
// every figure of the report agrees.
type styler struct {
	archs  []string             // architecture names, the study's first, then the others sorted
	values map[string][]float64 // per numeric axis, its distinct values sorted
}

func newStyler(recs []*results.Record) *styler {
	s := &styler{values: map[string][]float64{}}
	// The study's three networks in its order, so that the default one is
	// blue; then any other preset and the file's own architectures.
	s.archs = []string{"strided", "maxpool", "deeper"}
	var others []string
	for _, r := range recs {
		if n := r.Run.Arch.Name; !slices.Contains(s.archs, n) && !slices.Contains(others, n) {
			others = append(others, n)
		}
		for _, a := range numericAxes {
			v := axisNumber(r, a)
			if !math.IsNaN(v) && !slices.Contains(s.values[a], v) {
				s.values[a] = append(s.values[a], v)
			}
		}
	}
	sort.Strings(others)
	s.archs = append(s.archs, others...)
	for _, vs := range s.values {
		sort.Float64s(vs)
	}
	return s
}

// archColor is an architecture's colour.
func (s *styler) archColor(name string) color.RGBA {
	i := slices.Index(s.archs, name)
	if i < 0 {
		i = len(s.archs)
	}
	return qualitativeColor(i)
}

// valueColor is the colour of a value of a numeric axis.
func (s *styler) valueColor(axis string, v float64) color.RGBA {
	vs := s.values[axis]
	i := slices.Index(vs, v)
	if len(vs) < 2 || i < 0 {
		return rampColor(rampFor(axis), 1)
	}
	return rampColor(rampFor(axis), float64(i)/float64(len(vs)-1))
}

// sweepColors orders a sweep's cells for its legend and colours them: by a
// single numeric axis, in increasing order with its sequential palette; by
// architecture alone, in sweep order with the architectures' colours;
// otherwise, in sweep order with the qualitative palette.
func (s *styler) sweepColors(cells []*seedCell, axes []string) ([]*seedCell, []color.Color) {
	// Seeds are averaged within a cell: they do not tell cells apart.
	axes = slices.DeleteFunc(slices.Clone(axes), func(a string) bool { return a == "seed" })
	out := slices.Clone(cells)
	cols := make([]color.Color, len(out))
	switch {
	case len(axes) == 1 && slices.Contains(numericAxes, axes[0]):
		a := axes[0]
		sort.SliceStable(out, func(i, j int) bool { return axisNumber(out[i].Recs[0], a) < axisNumber(out[j].Recs[0], a) })
		for i, c := range out {
			cols[i] = s.valueColor(a, axisNumber(c.Recs[0], a))
		}
	case len(axes) == 1 && axes[0] == "arch", len(axes) == 0:
		for i, c := range out {
			cols[i] = s.archColor(c.Recs[0].Run.Arch.Name)
		}
	default:
		for i := range out {
			cols[i] = qualitativeColor(i)
		}
	}
	return out, cols
}

// Grey shades of the bars of the train, validation and test splits: the
// colours stay the architectures'.
var splitGreys = []color.RGBA{{64, 64, 64, 255}, {140, 140, 140, 255}, {200, 200, 200, 255}}

// bandAlpha is the opacity of an uncertainty band.
const bandAlpha = 0.22

func withAlpha(c color.Color, a float64) color.NRGBA {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(math.Round(255 * a))}
}

var valDashes = []vg.Length{vg.Points(7), vg.Points(4)}
