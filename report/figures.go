package report

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"convlab/runner/results"
)

// DPI of every figure: a 10-inch figure is 960 pixels wide.
const DPI = 96

// Colours of the series, distinct for colour-blind readers (Okabe-Ito
// first, then Tableau); train is solid and validation dashed.
var seriesColors = []color.RGBA{
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
	{127, 127, 127, 255}, // grey
	{23, 190, 207, 255},  // cyan
}

func seriesColor(i int) color.Color { return seriesColors[i%len(seriesColors)] }

var valDashes = []vg.Length{vg.Points(7), vg.Points(4)}

// render draws a figure of w x h inches and encodes it as PNG. A panic in
// the plotting library becomes an error.
func render(w, h float64, drawFn func(dc draw.Canvas) error) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("draw figure: %v", r)
		}
	}()
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(w)*vg.Inch, vg.Length(h)*vg.Inch), vgimg.UseDPI(DPI),
		vgimg.UseBackgroundColor(color.White))
	dc := draw.New(c)
	if err := drawFn(dc); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&b, c.Image()); err != nil {
		return nil, fmt.Errorf("encode figure: %w", err)
	}
	return b.Bytes(), nil
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.X.Label.TextStyle.Font.Size = vg.Points(11)
	p.Y.Label.TextStyle.Font.Size = vg.Points(11)
	p.Legend.TextStyle.Font.Size = vg.Points(11)
	p.X.Tick.Label.Font.Size = vg.Points(10.5)
	p.Y.Tick.Label.Font.Size = vg.Points(10.5)
	p.Y.Tick.Marker = distinctTicks{}
	p.Add(plotter.NewGrid())
	return p
}

// series is one curve of a history.
type series struct {
	name  string
	ys    []float64 // per epoch, starting at epoch 1
	xs    []float64
	color color.Color
	val   bool
}

// historySeries extracts one metric of a history.
func historySeries(h []results.Epoch, val, loss bool) (xs, ys []float64) {
	for _, e := range h {
		v := e.Accuracy
		switch {
		case val && loss:
			v = e.ValLoss
		case val:
			v = e.ValAccuracy
		case loss:
			v = e.Loss
		}
		// A diverged epoch (NaN or infinite) stays in as a gap in the curve.
		xs = append(xs, float64(e.Epoch))
		ys = append(ys, v)
	}
	return xs, ys
}

// addSeries draws a curve with its points and adds it to the legend leg
// (when not nil). Non-finite values leave gaps in the curve.
func addSeries(p *plot.Plot, s series, leg *plot.Legend) error {
	var segments []plotter.XYs
	var cur plotter.XYs
	for i := range s.xs {
		if math.IsNaN(s.ys[i]) || math.IsInf(s.ys[i], 0) {
			if len(cur) > 0 {
				segments = append(segments, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, plotter.XY{X: s.xs[i], Y: s.ys[i]})
	}
	if len(cur) > 0 {
		segments = append(segments, cur)
	}
	for i, xys := range segments {
		line, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return fmt.Errorf("curve %s: %w", s.name, err)
		}
		line.Color = s.color
		line.Width = vg.Points(2)
		pts.Color = s.color
		pts.Radius = vg.Points(2.2)
		pts.Shape = draw.CircleGlyph{}
		if s.val {
			line.Dashes = valDashes
			pts.Shape = draw.BoxGlyph{}
		}
		p.Add(line, pts)
		if leg != nil && i == 0 {
			leg.Add(s.name, line, pts)
		}
	}
	return nil
}

// distinctTicks labels the default ticks with as many decimals as it
// takes to tell them apart (the default may print 1.6 twice over a
// narrow range).
type distinctTicks struct{}

func (distinctTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for prec := 0; prec <= 8; prec++ {
		seen := map[string]bool{}
		ok := true
		for _, t := range ticks {
			if t.Label == "" {
				continue
			}
			l := strconv.FormatFloat(t.Value, 'f', prec, 64)
			if seen[l] || (prec == 0 && t.Value != math.Trunc(t.Value)) {
				ok = false
				break
			}
			seen[l] = true
		}
		if ok {
			for i := range ticks {
				if ticks[i].Label != "" {
					ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'f', prec, 64)
				}
			}
			break
		}
	}
	return ticks
}

// epochTicks marks whole epochs: every epoch up to 20, else a readable step.
func epochTicks(p *plot.Plot, maxEpoch int) {
	step := 1
	for maxEpoch/step > 20 {
		switch {
		case step == 1:
			step = 2
		case step == 2:
			step = 5
		default:
			step *= 2
		}
	}
	var ticks []plot.Tick
	for e := 1; e <= maxEpoch; e++ {
		if e == 1 || e%step == 0 {
			ticks = append(ticks, plot.Tick{Value: float64(e), Label: fmt.Sprint(e)})
		}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Min, p.X.Max = 0.5, float64(maxEpoch)+0.5
}

func maxEpoch(recs ...*results.Record) int {
	n := 1
	for _, r := range recs {
		for _, e := range r.History {
			n = max(n, e.Epoch)
		}
	}
	return n
}

// runLabel describes a run's settings briefly for a title.
func runLabel(r *results.Record) string {
	return fmt.Sprintf("%s, n=%s, l1=%s", r.Run.Arch.Name, groupThousands(r.Run.N), results.FormatFloat(r.Run.L1))
}

// CurvesFigure is the study's Figure 2 for one run: accuracy per epoch
// (top) and loss per epoch (bottom), training and validation.
func CurvesFigure(r *results.Record) ([]byte, error) {
	return render(10, 8, func(dc draw.Canvas) error {
		acc := newPlot(fmt.Sprintf("Accuracy per epoch: %s (%s)", r.Run.ID, runLabel(r)), "Epoch", "Accuracy")
		lossTitle := "Loss per epoch (categorical cross-entropy)"
		if r.Run.L1 != 0 {
			lossTitle = "Loss per epoch (categorical cross-entropy + L1 penalty)"
		}
		loss := newPlot(lossTitle, "Epoch", "Loss")
		for _, pl := range []struct {
			p    *plot.Plot
			loss bool
		}{{acc, false}, {loss, true}} {
			xs, ys := historySeries(r.History, false, pl.loss)
			if err := addSeries(pl.p, series{name: "train", xs: xs, ys: ys, color: seriesColor(0)}, &pl.p.Legend); err != nil {
				return err
			}
			xs, ys = historySeries(r.History, true, pl.loss)
			if err := addSeries(pl.p, series{name: "validation", xs: xs, ys: ys, color: seriesColor(1), val: true}, &pl.p.Legend); err != nil {
				return err
			}
			epochTicks(pl.p, maxEpoch(r))
			pl.p.Legend.Top = pl.loss
			pl.p.Legend.XOffs = -vg.Points(8)
			pl.p.Legend.YOffs = vg.Points(8)
			if pl.loss {
				pl.p.Legend.YOffs = -vg.Points(8)
			}
			pl.p.Legend.ThumbnailWidth = vg.Points(30)
		}
		drawStack(dc, [][]*plot.Plot{{acc}, {loss}})
		return nil
	})
}

func drawStack(dc draw.Canvas, plots [][]*plot.Plot) {
	t := draw.Tiles{Rows: len(plots), Cols: len(plots[0]), PadX: vg.Points(24), PadY: vg.Points(18),
		PadTop: vg.Points(8), PadBottom: vg.Points(8), PadLeft: vg.Points(8), PadRight: vg.Points(12)}
	canvases := plot.Align(plots, t, dc)
	for i := range plots {
		for j := range plots[i] {
			if plots[i][j] != nil {
				plots[i][j].Draw(canvases[i][j])
			}
		}
	}
}

// varyingLabel names what distinguishes a run within its sweep, such as
// "n=5000" or "arch=maxpool l1=0.1"; the run ID when no axis is known.
func varyingLabel(r *results.Record, axes []string) string {
	var parts []string
	for _, a := range axes {
		parts = append(parts, a+"="+axisValue(r.Run, a))
	}
	if len(parts) == 0 {
		return r.Run.ID
	}
	return strings.Join(parts, " ")
}

// OverlayFigure is the study's Figure 3 or 4: the accuracy (top) and loss
// (bottom) curves of every run of a sweep, one colour per run, training
// solid and validation dashed, with the legend beside the panels.
func OverlayFigure(title string, recs []*results.Record, axes []string) ([]byte, error) {
	if len(recs) == 0 {
		return nil, fmt.Errorf("overlay figure %q: no finished runs to draw", title)
	}
	return render(13, 9, func(dc draw.Canvas) error {
		acc := newPlot(title+": accuracy per epoch", "Epoch", "Accuracy")
		loss := newPlot(title+": loss per epoch", "Epoch", "Loss")
		leg := plot.NewLegend()
		leg.TextStyle.Font.Size = vg.Points(11)
		leg.ThumbnailWidth = vg.Points(36)
		leg.Top, leg.Left = true, true
		for i, r := range recs {
			label := varyingLabel(r, axes)
			for _, pl := range []struct {
				p    *plot.Plot
				loss bool
			}{{acc, false}, {loss, true}} {
				var l *plot.Legend
				if !pl.loss {
					l = &leg
				}
				xs, ys := historySeries(r.History, false, pl.loss)
				if err := addSeries(pl.p, series{name: label + " train", xs: xs, ys: ys, color: seriesColor(i)}, l); err != nil {
					return err
				}
				xs, ys = historySeries(r.History, true, pl.loss)
				if err := addSeries(pl.p, series{name: label + " val", xs: xs, ys: ys, color: seriesColor(i), val: true}, l); err != nil {
					return err
				}
			}
		}
		n := maxEpoch(recs...)
		epochTicks(acc, n)
		epochTicks(loss, n)
		useLogIfSpread(loss)
		legW := legendWidth(leg) + vg.Points(24)
		main := draw.Crop(dc, 0, -legW, 0, 0)
		drawStack(main, [][]*plot.Plot{{acc}, {loss}})
		side := draw.Crop(dc, dc.Max.X-dc.Min.X-legW+vg.Points(6), -vg.Points(12), 0, -vg.Points(34))
		leg.Draw(side)
		return nil
	})
}

// legendWidth is the width the legend's entries need.
func legendWidth(l plot.Legend) vg.Length {
	r := l.Rectangle(draw.Canvas{Rectangle: vg.Rectangle{Max: vg.Point{X: 1000, Y: 1000}}})
	return r.Max.X - r.Min.X
}

// useLogIfSpread switches an axis of positive values to a log scale when
// they span more than a factor of 20 (losses of strongly regularised runs
// would otherwise flatten every other curve).
func useLogIfSpread(p *plot.Plot) {
	lo, hi := p.Y.Min, p.Y.Max // the data's range, as Add left it
	if lo > 0 && hi/lo > 20 {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		p.Y.Label.Text += " (log scale)"
	}
}

// ArchFigure is the study's Figure 5 or 6: each run's accuracy and loss
// curves side by side (one column per run, same scales), above a bar
// chart of their train, validation and test accuracy labelled with their
// parameter counts and training times.
func ArchFigure(title string, recs []*results.Record) ([]byte, error) {
	if len(recs) == 0 {
		return nil, fmt.Errorf("architecture figure %q: no finished runs to draw", title)
	}
	w := math.Max(10, 5.5*float64(len(recs)))
	return render(w, 11, func(dc draw.Canvas) error {
		rows := [][]*plot.Plot{make([]*plot.Plot, len(recs)), make([]*plot.Plot, len(recs))}
		n := maxEpoch(recs...)
		for j, r := range recs {
			head := fmt.Sprintf("%s (n=%s)", r.Run.Arch.Name, groupThousands(r.Run.N))
			acc := newPlot(head+": accuracy", "Epoch", "Accuracy")
			loss := newPlot(head+": loss", "Epoch", "Loss")
			for i, pl := range []*plot.Plot{acc, loss} {
				isLoss := i == 1
				xs, ys := historySeries(r.History, false, isLoss)
				if err := addSeries(pl, series{name: "train", xs: xs, ys: ys, color: seriesColor(0)}, &pl.Legend); err != nil {
					return err
				}
				xs, ys = historySeries(r.History, true, isLoss)
				if err := addSeries(pl, series{name: "validation", xs: xs, ys: ys, color: seriesColor(1), val: true}, &pl.Legend); err != nil {
					return err
				}
				epochTicks(pl, n)
				pl.Legend.Top = isLoss
				pl.Legend.ThumbnailWidth = vg.Points(30)
				pl.Legend.XOffs = -vg.Points(6)
			}
			rows[0][j], rows[1][j] = acc, loss
		}
		for _, row := range rows {
			shareY(row)
		}
		top := draw.Crop(dc, 0, 0, dc.Size().Y*0.36, 0)
		drawStack(top, rows)

		bars := newPlot(title+": accuracy after training (train and validation: last epoch; test: evaluation)", "", "Accuracy")
		groups := []struct {
			name string
			get  func(r *results.Record) float64
		}{
			{"train", func(r *results.Record) float64 { l, _ := lastEpoch(r); return l.Accuracy }},
			{"validation", func(r *results.Record) float64 { l, _ := lastEpoch(r); return l.ValAccuracy }},
			{"test", func(r *results.Record) float64 { return r.Metrics.Test.Accuracy }},
		}
		bw := vg.Points(math.Min(40, 300/float64(len(recs)*3)))
		for g, grp := range groups {
			vals := make(plotter.Values, len(recs))
			for j, r := range recs {
				vals[j] = finite(grp.get(r))
			}
			bc, err := plotter.NewBarChart(vals, bw)
			if err != nil {
				return fmt.Errorf("bar chart: %w", err)
			}
			bc.Color = seriesColor(g)
			bc.LineStyle.Width = 0
			bc.Offset = vg.Length(g-1) * bw
			bars.Add(bc)
			bars.Legend.Add(grp.name, bc)
			lab := make([]string, len(recs))
			xys := make(plotter.XYs, len(recs))
			for j := range recs {
				lab[j] = fmt.Sprintf("%.3f", vals[j])
				xys[j] = plotter.XY{X: float64(j), Y: vals[j]}
			}
			labels, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: lab})
			if err != nil {
				return fmt.Errorf("bar labels: %w", err)
			}
			for i := range labels.TextStyle {
				labels.TextStyle[i].XAlign = draw.XCenter
				labels.TextStyle[i].Font.Size = vg.Points(9)
			}
			labels.Offset = vg.Point{X: vg.Length(g-1) * bw, Y: vg.Points(3)}
			bars.Add(labels)
		}
		var ticks []plot.Tick
		for j, r := range recs {
			ticks = append(ticks, plot.Tick{Value: float64(j), Label: fmt.Sprintf("%s, n=%s\n%s params, trained in %s",
				r.Run.Arch.Name, groupThousands(r.Run.N), groupThousands(r.Metrics.Params), formatSeconds(r.Metrics.TrainSeconds))})
		}
		bars.X.Tick.Marker = plot.ConstantTicks(ticks)
		bars.X.Tick.Label.Font.Size = vg.Points(11)
		bars.X.Min, bars.X.Max = -0.6, float64(len(recs))-0.4
		bars.Y.Min, bars.Y.Max = 0, 1.08
		bars.Legend.Top = true
		bars.Legend.Left = true
		bars.Legend.XOffs = vg.Points(6)
		bottom := draw.Crop(dc, vg.Points(8), -vg.Points(12), vg.Points(8), -dc.Size().Y*0.66)
		bars.Draw(bottom)
		return nil
	})
}

func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// shareY gives every plot of a row the same y range.
func shareY(row []*plot.Plot) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range row {
		lo, hi = math.Min(lo, p.Y.Min), math.Max(hi, p.Y.Max) // the data's range, as Add left it
	}
	if lo > hi {
		return
	}
	pad := (hi - lo) * 0.04
	for _, p := range row {
		p.Y.Min, p.Y.Max = lo-pad, hi+pad
	}
}

// confusionGrid is a confusion matrix as a heat map grid: column c is the
// predicted class, row r the true class counted from the bottom, so that
// the first class is the top row.
type confusionGrid struct {
	m   [][]int
	max float64
}

func (g confusionGrid) Dims() (c, r int)   { return len(g.m), len(g.m) }
func (g confusionGrid) Z(c, r int) float64 { return float64(g.m[len(g.m)-1-r][c]) }
func (g confusionGrid) X(c int) float64    { return float64(c) }
func (g confusionGrid) Y(r int) float64    { return float64(r) }
func (g confusionGrid) Min() float64       { return 0 }
func (g confusionGrid) Max() float64       { return g.max }

// ConfusionFigure draws a run's confusion matrix on one split as a heat
// map with every count written in its cell and the class names on the axes.
func ConfusionFigure(title string, m [][]int, classes []string) ([]byte, error) {
	k := len(m)
	if k == 0 {
		return nil, fmt.Errorf("confusion figure %q: empty matrix", title)
	}
	for i, row := range m {
		if len(row) != k {
			return nil, fmt.Errorf("confusion figure %q: row %d has %d counts, want %d", title, i+1, len(row), k)
		}
	}
	name := func(i int) string {
		if i < len(classes) {
			return classes[i]
		}
		return fmt.Sprint(i)
	}
	mx := 1.0
	for _, row := range m {
		for _, v := range row {
			mx = math.Max(mx, float64(v))
		}
	}
	return render(9.5, 8.5, func(dc draw.Canvas) error {
		hm := plotter.NewHeatMap(confusionGrid{m, mx}, bluePalette(64))
		hm.Min, hm.Max = 0, mx
		p := plot.New()
		p.Title.Text = title
		p.Title.TextStyle.Font.Size = vg.Points(13)
		p.X.Label.Text = "Predicted label"
		p.Y.Label.Text = "True label"
		p.X.Label.TextStyle.Font.Size = vg.Points(12)
		p.Y.Label.TextStyle.Font.Size = vg.Points(12)
		p.Add(hm)
		var xys plotter.XYs
		var labs []string
		var dark []bool
		for i := range k {
			for j := range k {
				xys = append(xys, plotter.XY{X: float64(j), Y: float64(k - 1 - i)})
				labs = append(labs, fmt.Sprint(m[i][j]))
				dark = append(dark, float64(m[i][j]) > mx*0.55)
			}
		}
		labels, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labs})
		if err != nil {
			return fmt.Errorf("cell labels: %w", err)
		}
		for i := range labels.TextStyle {
			labels.TextStyle[i].XAlign = draw.XCenter
			labels.TextStyle[i].YAlign = draw.YCenter
			labels.TextStyle[i].Font.Size = vg.Points(11)
			if dark[i] {
				labels.TextStyle[i].Color = color.White
			}
		}
		p.Add(labels)
		var xt, yt []plot.Tick
		for i := range k {
			xt = append(xt, plot.Tick{Value: float64(i), Label: name(i)})
			yt = append(yt, plot.Tick{Value: float64(k - 1 - i), Label: name(i)})
		}
		p.X.Tick.Marker = plot.ConstantTicks(xt)
		p.Y.Tick.Marker = plot.ConstantTicks(yt)
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
		p.X.Tick.Label.Font.Size = vg.Points(11)
		p.Y.Tick.Label.Font.Size = vg.Points(11)
		p.X.Min, p.X.Max = -0.5, float64(k)-0.5
		p.Y.Min, p.Y.Max = -0.5, float64(k)-0.5
		p.X.Padding, p.Y.Padding = 0, 0
		p.Draw(draw.Crop(dc, vg.Points(6), -vg.Points(12), vg.Points(6), -vg.Points(6)))
		return nil
	})
}

// bluePalette is a white-to-dark-blue palette of n colours.
type bluePalette int

var _ palette.Palette = bluePalette(0)

func (b bluePalette) Colors() []color.Color {
	out := make([]color.Color, int(b))
	for i := range out {
		t := float64(i) / float64(int(b)-1)
		// From #f7fbff to #08306b, as matplotlib's Blues.
		out[i] = color.RGBA{
			R: uint8(247 + (8-247)*t),
			G: uint8(251 + (48-251)*t),
			B: uint8(255 + (107-255)*t),
			A: 255,
		}
	}
	return out
}
