package report

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"

	"convlab/runner/dataset"
	"convlab/runner/results"
	"convlab/runner/spec"
)

// DPI of every PNG figure: a 10-inch figure is 960 pixels wide.
const DPI = 96

// FigureFormats are the file formats a figure can be written in. PNG is
// always written, for REPORT.md; SVG and PDF are vector copies beside it
// (SVG with its fonts embedded), for papers.
var FigureFormats = spec.FigureFormats

// figure is a drawing of w x h inches, encoded in any of FigureFormats.
type figure struct {
	w, h float64
	draw func(dc draw.Canvas) error
	// date is the creation date a PDF records (the newest run drawn), so
	// that rebuilding a report rewrites identical bytes.
	date time.Time
}

// pdfDates guards fpdf's package-level default dates, which vgpdf offers
// no other way to set.
var pdfDates sync.Mutex

// encode draws the figure in a format of FigureFormats. A panic in the
// plotting library becomes an error.
func (f figure) encode(format string) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("draw figure: %v", r)
		}
	}()
	w, h := vg.Length(f.w)*vg.Inch, vg.Length(f.h)*vg.Inch
	var b bytes.Buffer
	switch format {
	case "png":
		c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI), vgimg.UseBackgroundColor(color.White))
		if err := f.draw(draw.New(c)); err != nil {
			return nil, err
		}
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		if err := enc.Encode(&b, c.Image()); err != nil {
			return nil, fmt.Errorf("encode figure: %w", err)
		}
	case "svg":
		c := vgsvg.NewWith(vgsvg.UseWH(w, h), vgsvg.EmbedFonts(true))
		if err := f.drawOnWhite(c); err != nil {
			return nil, err
		}
		if _, err := c.WriteTo(&b); err != nil {
			return nil, fmt.Errorf("encode figure: %w", err)
		}
	case "pdf":
		pdfDates.Lock()
		defer pdfDates.Unlock()
		date := f.date
		if date.IsZero() {
			date = time.Unix(0, 0).UTC() // unknown; fpdf would write the time of day
		}
		fpdf.SetDefaultCreationDate(date)
		fpdf.SetDefaultModificationDate(date)
		defer fpdf.SetDefaultCreationDate(time.Time{})
		defer fpdf.SetDefaultModificationDate(time.Time{})
		c := vgpdf.New(w, h)
		if err := f.drawOnWhite(c); err != nil {
			return nil, err
		}
		if _, err := c.WriteTo(&b); err != nil {
			return nil, fmt.Errorf("encode figure: %w", err)
		}
	default:
		return nil, fmt.Errorf("encode figure: unknown format %q; valid: %s", format, strings.Join(FigureFormats, ", "))
	}
	return b.Bytes(), nil
}

func (f figure) drawOnWhite(c vg.CanvasSizer) error {
	dc := draw.New(c)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	return f.draw(dc)
}

// newestFinish is the latest finishing time of the records, zero when
// none has one.
func newestFinish(recs ...*results.Record) time.Time {
	var t time.Time
	for _, r := range recs {
		if f, err := time.Parse(time.RFC3339, r.Provenance.Finished); err == nil && f.After(t) {
			t = f
		}
	}
	return t
}

func pngOf(f figure, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	return f.encode("png")
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
	p.X.Tick.Marker = linearTicks{}
	p.Y.Tick.Marker = linearTicks{}
	p.Add(plotter.NewGrid())
	return p
}

// Axis titles, with their units.
const (
	epochAxis = "Epoch"
	accAxis   = "Accuracy (fraction correct)"
)

// lossAxis is the loss axis's title; the title of its panel says what the
// loss is (lossWhat), as an axis title that long would not fit.
const lossAxis = "Loss (nats)"

func lossWhat(l1 bool) string {
	if l1 {
		return "cross-entropy + L1 penalty"
	}
	return "cross-entropy"
}

// runCurves are a metric pair (training, validation) of one run, or of a
// cell's seeds averaged.
func runCurves(c *seedCell, label string, col color.Color, train, val metric) []curve {
	var out []curve
	for i, m := range []metric{train, val} {
		cv := curve{label: label, color: col, val: i == 1}
		cv.xs, cv.ys, cv.lo, cv.hi = cellCurve(c, m)
		out = append(out, cv)
	}
	return out
}

// curvesRange is the range of the curves' values, bands included, over the
// epochs from `from` on; +Inf, -Inf when there are none.
func curvesRange(cs []curve, from float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, c := range cs {
		for i, x := range c.xs {
			if x < from {
				continue
			}
			vals := []float64{c.ys[i]}
			if c.lo != nil {
				vals = append(vals, c.lo[i], c.hi[i])
			}
			for _, v := range vals {
				if !math.IsNaN(v) && !math.IsInf(v, 0) {
					lo, hi = math.Min(lo, v), math.Max(hi, v)
				}
			}
		}
	}
	return lo, hi
}

// yAxis is the y range of a panel and whether it is logarithmic.
type yAxis struct {
	min, max float64
	log      bool
	ok       bool // false: nothing finite to draw, gonum's default axis
}

// fitY chooses the y axis that shows the curves. A loss axis is clipped to
// the range of epochs 2 on when epoch 1 alone would take more than half of
// it (a strong L1 penalty starts in the thousands), and is logarithmic
// when what remains spans more than a factor of 8.
func fitY(cs []curve, loss bool) yAxis {
	lo, hi := curvesRange(cs, 1)
	if lo > hi {
		return yAxis{}
	}
	if loss {
		if rlo, rhi := curvesRange(cs, 2); rlo <= rhi && hi-rhi > rhi-rlo {
			hi = rhi
		}
	}
	if loss && lo > 0 && hi/lo > 8 {
		pad := math.Pow(hi/lo, 0.04)
		return yAxis{min: lo / pad, max: hi * pad, log: true, ok: true}
	}
	pad := (hi - lo) * 0.05
	if pad == 0 {
		pad = math.Max(math.Abs(hi)*0.05, 0.01)
	}
	return yAxis{min: lo - pad, max: hi + pad, ok: true}
}

// apply sets the axis on p, after its plotters are added (adding one
// widens the axis to its data).
func (y yAxis) apply(p *plot.Plot) {
	if !y.ok {
		return
	}
	p.Y.Min, p.Y.Max = y.min, y.max
	if y.log {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
		p.Y.Label.Text = strings.TrimSuffix(p.Y.Label.Text, ")") + ", log scale)"
	}
}

// addCurves draws curves on p with the y axis y: each cell's band, then
// its line (gaps where a value is not finite) and its points; a value
// above the axis is a triangle on the top edge, and the title says so.
func addCurves(p *plot.Plot, cs []curve, y yAxis) error {
	if !y.ok {
		y.min, y.max = math.Inf(-1), math.Inf(1)
	}
	above := math.Inf(-1)
	for _, c := range cs {
		if c.lo != nil {
			if err := addBand(p, c, y); err != nil {
				return err
			}
		}
	}
	for _, c := range cs {
		for _, seg := range segments(c.xs, c.ys) {
			line, err := plotter.NewLine(seg)
			if err != nil {
				return fmt.Errorf("curve %s: %w", c.label, err)
			}
			line.LineStyle = curveLine(c)
			p.Add(line)
			var in, out plotter.XYs
			for _, pt := range seg {
				if pt.Y > y.max {
					out = append(out, plotter.XY{X: pt.X, Y: y.max})
					above = math.Max(above, pt.Y)
				} else if pt.Y >= y.min {
					in = append(in, pt)
				}
			}
			if len(in) > 0 {
				sc, err := plotter.NewScatter(in)
				if err != nil {
					return fmt.Errorf("curve %s: %w", c.label, err)
				}
				sc.GlyphStyle = curveGlyph(c)
				p.Add(sc)
			}
			if len(out) > 0 {
				sc, err := plotter.NewScatter(out)
				if err != nil {
					return fmt.Errorf("curve %s: %w", c.label, err)
				}
				sc.GlyphStyle = draw.GlyphStyle{Color: c.color, Radius: vg.Points(5), Shape: draw.PyramidGlyph{}}
				p.Add(sc)
			}
		}
	}
	if !math.IsInf(above, -1) {
		p.Title.Text += fmt.Sprintf("\n(triangles on the top edge: epoch-1 values above the axis, up to %s)", formatValue(above))
	}
	y.apply(p)
	return nil
}

// formatValue prints a value to 4 significant digits for a note.
func formatValue(v float64) string {
	if math.Abs(v) >= 1000 {
		return groupThousands(int(math.Round(v)))
	}
	return fmt.Sprintf("%.4g", v)
}

func curveLine(c curve) draw.LineStyle {
	ls := draw.LineStyle{Color: c.color, Width: vg.Points(2)}
	if c.val {
		ls.Dashes = valDashes
	}
	return ls
}

func curveGlyph(c curve) draw.GlyphStyle {
	g := draw.GlyphStyle{Color: c.color, Radius: vg.Points(2.2), Shape: draw.CircleGlyph{}}
	if c.val {
		g.Shape = draw.BoxGlyph{}
	}
	return g
}

// segments splits a curve at its non-finite values.
func segments(xs, ys []float64) []plotter.XYs {
	var out []plotter.XYs
	var cur plotter.XYs
	for i := range xs {
		if math.IsNaN(ys[i]) || math.IsInf(ys[i], 0) {
			if len(cur) > 0 {
				out = append(out, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, plotter.XY{X: xs[i], Y: ys[i]})
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// addBand fills the band of a curve between its lower and upper bounds,
// kept on the axis (a log axis cannot show a bound at or below zero).
func addBand(p *plot.Plot, c curve, y yAxis) error {
	lo, hi := slices.Clone(c.lo), slices.Clone(c.hi)
	for i := range lo {
		if !math.IsNaN(lo[i]) {
			lo[i] = math.Max(lo[i], y.min)
			hi[i] = math.Min(hi[i], y.max)
		}
	}
	los, his := segments(c.xs, lo), segments(c.xs, hi)
	for k := range min(len(los), len(his)) {
		ring := slices.Clone(his[k])
		for i := len(los[k]) - 1; i >= 0; i-- {
			ring = append(ring, los[k][i])
		}
		poly, err := plotter.NewPolygon(ring)
		if err != nil {
			return fmt.Errorf("band of %s: %w", c.label, err)
		}
		poly.Color = withAlpha(c.color, bandAlpha)
		poly.LineStyle.Width = 0
		p.Add(poly)
	}
	return nil
}

// styleLegend makes the legend entries that explain line styles and bands:
// train solid with circles, validation dashed with squares, and the band.
func styleLegend(leg *plot.Legend, col color.Color, band bool) {
	for _, val := range []bool{false, true} {
		c := curve{color: col, val: val}
		line, _ := plotter.NewLine(plotter.XYs{{}})
		line.LineStyle = curveLine(c)
		sc, _ := plotter.NewScatter(plotter.XYs{{}})
		sc.GlyphStyle = curveGlyph(c)
		name := "training"
		if val {
			name = "validation"
		}
		leg.Add(name, line, sc)
	}
	if band {
		poly, _ := plotter.NewPolygon(plotter.XYs{{}, {X: 1}, {X: 1, Y: 1}})
		poly.Color = withAlpha(col, bandAlpha)
		poly.LineStyle.Width = 0
		leg.Add("band: "+bandName, poly)
	}
}

func newSideLegend() plot.Legend {
	leg := plot.NewLegend()
	leg.TextStyle.Font.Size = vg.Points(11)
	leg.ThumbnailWidth = vg.Points(36)
	leg.Top, leg.Left = true, true
	return leg
}

// epochTicks labels whole epochs: every epoch up to maxLabels of them,
// else every 2nd, 5th, 10th, 20th ...
func epochTicks(p *plot.Plot, maxEpoch, maxLabels int) {
	step := 1
	for maxEpoch/step > maxLabels {
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
		// Epoch 1 is labelled unless it would crowd epoch 2's label.
		if e%step == 0 || (e == 1 && step != 2) {
			ticks = append(ticks, plot.Tick{Value: float64(e), Label: fmt.Sprint(e)})
		} else {
			ticks = append(ticks, plot.Tick{Value: float64(e)})
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

// dataLabel says on which images a run trained and validated.
func dataLabel(r *results.Record) string {
	n := r.Run.N
	train := dataset.SplitAt(n, r.Run.ValidationSplit)
	return fmt.Sprintf("%s: %s training, %s validation images", r.Run.Dataset, groupThousands(train), groupThousands(n-train))
}

// sweepData says on which images a sweep's runs trained: dataLabel when
// they share it, else the data sets and the validation split.
func sweepData(recs []*results.Record) string {
	labels := map[string]bool{}
	var sets []string
	for _, r := range recs {
		labels[dataLabel(r)] = true
		if !slices.Contains(sets, r.Run.Dataset) {
			sets = append(sets, r.Run.Dataset)
		}
	}
	if len(labels) == 1 {
		return dataLabel(recs[0])
	}
	return fmt.Sprintf("%s: the first n training images, validation split %s", strings.Join(sets, ", "), results.FormatFloat(recs[0].Run.ValidationSplit))
}

func anyL1(recs []*results.Record) bool {
	return slices.ContainsFunc(recs, func(r *results.Record) bool { return r.Run.L1 != 0 })
}

// CurvesFigure is the study's Figure 2 for one run, as PNG: accuracy per
// epoch (top) and loss per epoch (bottom), training and validation.
func CurvesFigure(r *results.Record) ([]byte, error) {
	return pngOf(curvesFigure(newStyler([]*results.Record{r}), r), nil)
}

func curvesFigure(st *styler, r *results.Record) figure {
	return cellCurvesFigure(st, &seedCell{Label: r.Run.ID, Recs: []*results.Record{r}})
}

// cellCurvesFigure is Figure 2 for a cell: its runs' mean curves, with
// the band of the confidence interval when it has several seeds.
func cellCurvesFigure(st *styler, c *seedCell) figure {
	r := c.Recs[0]
	return figure{w: 10, h: 8, date: newestFinish(c.Recs...), draw: func(dc draw.Canvas) error {
		seeds := fmt.Sprintf("seed %d", r.Run.Seed)
		if len(c.Recs) > 1 {
			seeds = fmt.Sprintf("mean of %d seeds", len(c.Recs))
		}
		what := fmt.Sprintf("%s, n = %s, l1 = %s, %s\n%s", r.Run.Arch.Name, groupThousands(r.Run.N),
			results.FormatFloat(r.Run.L1), seeds, dataLabel(r))
		acc := newPlot("Accuracy per epoch: "+what, epochAxis, accAxis)
		loss := newPlot("Loss ("+lossWhat(r.Run.L1 != 0)+") per epoch: "+what, epochAxis, lossAxis)
		col := st.archColor(r.Run.Arch.Name)
		for _, pl := range []struct {
			p          *plot.Plot
			train, val metric
			loss       bool
		}{{acc, trainAcc, valAcc, false}, {loss, trainLoss, valLoss, true}} {
			cs := runCurves(c, c.Label, col, pl.train, pl.val)
			if err := addCurves(pl.p, cs, fitY(cs, pl.loss)); err != nil {
				return err
			}
			epochTicks(pl.p, maxEpoch(c.Recs...), 20)
		}
		leg := newSideLegend()
		styleLegend(&leg, col, len(c.Recs) > 1)
		drawWithLegend(dc, [][]*plot.Plot{{acc}, {loss}}, leg)
		return nil
	}}
}

// drawWithLegend draws the plots in a grid with the legend beside them, at
// the top right, outside the data.
func drawWithLegend(dc draw.Canvas, plots [][]*plot.Plot, leg plot.Legend) {
	legW := legendWidth(leg) + vg.Points(18)
	drawStack(draw.Crop(dc, 0, -legW, 0, 0), plots)
	side := draw.Crop(dc, dc.Max.X-dc.Min.X-legW+vg.Points(4), -vg.Points(6), 0, -vg.Points(34))
	leg.Draw(side)
}

// drawHeader writes a figure's title across its top and returns the canvas
// below it.
func drawHeader(dc draw.Canvas, text string) draw.Canvas {
	sty := plot.New().Title.TextStyle
	sty.Font.Size = vg.Points(14)
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
	h := sty.Height(text) + vg.Points(10)
	dc.FillText(sty, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: dc.Max.Y - vg.Points(6)}, text)
	return draw.Crop(dc, 0, 0, 0, -h)
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

// cellLegendLabel names what distinguishes a cell within its sweep, such
// as "n = 5000" or "arch = maxpool, l1 = 0.1", with its number of seeds;
// the cell's label when no axis is known.
func cellLegendLabel(c *seedCell, axes []string) string {
	var parts []string
	for _, a := range axes {
		if a == "seed" {
			continue
		}
		parts = append(parts, a+" = "+axisValue(c.Recs[0].Run, a))
	}
	if len(parts) == 0 {
		return c.Label + seedsNote(c)
	}
	return strings.Join(parts, ", ") + seedsNote(c)
}

// OverlayFigure is the study's Figure 3 or 4, as PNG: the accuracy (top)
// and loss (bottom) curves of every cell of a sweep (the mean over its
// seeds, with a band when it has several), one colour per cell, training
// solid and validation dashed, with the legend beside the panels.
func OverlayFigure(title string, recs []*results.Record, axes []string) ([]byte, error) {
	return pngOf(overlayFigure(newStyler(recs), title, figureSweep(recs, axes)))
}

// figureSweep is the sweep view a figure of recs alone draws: the
// report's own figures draw the contents' views, grouped once.
func figureSweep(recs []*results.Record, axes []string) *sweepView {
	return &sweepView{SweepInfo: SweepInfo{Axes: axes}, Recs: recs, Cells: groupSeedCells(recs)}
}

// overlayFigure draws the cells of v, coloured by its axes.
func overlayFigure(st *styler, title string, v *sweepView) (figure, error) {
	recs, axes := v.Recs, v.Axes
	if len(recs) == 0 {
		return figure{}, fmt.Errorf("overlay figure %q: no finished runs to draw", title)
	}
	cells, cols := st.sweepColors(v.Cells, axes)
	return figure{w: 13, h: 9, date: newestFinish(recs...), draw: func(dc draw.Canvas) error {
		data := sweepData(recs)
		acc := newPlot(title+": accuracy per epoch\n"+data, epochAxis, accAxis)
		loss := newPlot(title+": loss ("+lossWhat(anyL1(recs))+") per epoch\n"+data, epochAxis, lossAxis)
		leg := newSideLegend()
		band := false
		var accCurves, lossCurves []curve
		for i, c := range cells {
			label := cellLegendLabel(c, axes)
			accCurves = append(accCurves, runCurves(c, label, cols[i], trainAcc, valAcc)...)
			lossCurves = append(lossCurves, runCurves(c, label, cols[i], trainLoss, valLoss)...)
			line, err := plotter.NewLine(plotter.XYs{{}})
			if err != nil {
				return err
			}
			line.LineStyle = draw.LineStyle{Color: cols[i], Width: vg.Points(4)}
			leg.Add(label, line)
			band = band || len(c.Recs) > 1
		}
		leg.Add("")
		styleLegend(&leg, color.Black, band)
		n := maxEpoch(recs...)
		for _, pl := range []struct {
			p    *plot.Plot
			cs   []curve
			loss bool
		}{{acc, accCurves, false}, {loss, lossCurves, true}} {
			if err := addCurves(pl.p, pl.cs, fitY(pl.cs, pl.loss)); err != nil {
				return err
			}
			epochTicks(pl.p, n, 20)
		}
		drawWithLegend(dc, [][]*plot.Plot{{acc}, {loss}}, leg)
		return nil
	}}, nil
}

// legendWidth is the width the legend's entries need.
func legendWidth(l plot.Legend) vg.Length {
	r := l.Rectangle(draw.Canvas{Rectangle: vg.Rectangle{Max: vg.Point{X: 1000, Y: 1000}}})
	return r.Max.X - r.Min.X
}

// ArchFigure is the study's Figure 5 or 6, as PNG: each cell's accuracy
// and loss curves side by side (one column per cell, same scales), above a
// bar chart of their train, validation and test accuracy labelled with
// their parameter counts and training times; cells of several seeds are
// drawn as their means with bands and error bars.
func ArchFigure(title string, recs []*results.Record) ([]byte, error) {
	return pngOf(archFigure(newStyler(recs), title, figureSweep(recs, nil)))
}

// archFigure draws the cells of v side by side.
func archFigure(st *styler, title string, v *sweepView) (figure, error) {
	recs, cells := v.Recs, v.Cells
	if len(recs) == 0 {
		return figure{}, fmt.Errorf("architecture figure %q: no finished runs to draw", title)
	}
	w := math.Max(10, 5.5*float64(len(cells)))
	return figure{w: w, h: 11, date: newestFinish(recs...), draw: func(dc draw.Canvas) error {
		rows := [][]*plot.Plot{make([]*plot.Plot, len(cells)), make([]*plot.Plot, len(cells))}
		rowCurves := make([][][]curve, 2)
		n := maxEpoch(recs...)
		band := false
		for j, c := range cells {
			r := c.Recs[0]
			head := fmt.Sprintf("%s, n = %s%s\n", r.Run.Arch.Name, groupThousands(r.Run.N), seedsNote(c))
			rows[0][j] = newPlot(head+"accuracy per epoch", epochAxis, accAxis)
			rows[1][j] = newPlot(head+"loss ("+lossWhat(r.Run.L1 != 0)+") per epoch", epochAxis, lossAxis)
			col := st.archColor(r.Run.Arch.Name)
			rowCurves[0] = append(rowCurves[0], runCurves(c, c.Label, col, trainAcc, valAcc))
			rowCurves[1] = append(rowCurves[1], runCurves(c, c.Label, col, trainLoss, valLoss))
			band = band || len(c.Recs) > 1
		}
		for i, row := range rows {
			y := fitY(slices.Concat(rowCurves[i]...), i == 1) // one scale per row
			for j, p := range row {
				if err := addCurves(p, rowCurves[i][j], y); err != nil {
					return err
				}
				epochTicks(p, n, 10)
			}
		}
		leg := newSideLegend()
		styleLegend(&leg, color.Black, band)
		dc = drawHeader(dc, title+": "+sweepData(recs))
		top := draw.Crop(dc, 0, 0, dc.Size().Y*0.36, 0)
		drawWithLegend(top, rows, leg)

		bars, barLeg, err := accuracyBars(cells)
		if err != nil {
			return err
		}
		// The bar panel is as wide as its groups need, not the whole figure.
		barW := math.Min(w, 2.2+2.4*float64(len(cells)))*float64(vg.Inch) + float64(legendWidth(barLeg)+vg.Points(18))
		bottom := draw.Crop(dc, vg.Points(8), -(dc.Size().X - vg.Length(math.Min(barW, float64(dc.Size().X)))), vg.Points(8), -dc.Size().Y*0.66)
		drawWithLegend(bottom, [][]*plot.Plot{{bars}}, barLeg)
		return nil
	}}, nil
}

// accuracyBars is the bar chart of Figures 5 and 6: per cell, its training
// and validation accuracy of the last epoch and its test accuracy, with the
// 95% confidence interval of the mean as an error bar when it has several
// seeds.
func accuracyBars(cells []*seedCell) (*plot.Plot, plot.Legend, error) {
	bars := newPlot("Accuracy after training", "", accAxis)
	leg := newSideLegend()
	splits := []struct{ name, metric string }{
		{"training (last epoch)", "accuracy"},
		{"validation (last epoch)", "val_accuracy"},
		{"test (trained model)", "test_accuracy"},
	}
	const bw = 0.26 // bar width, in groups
	top := 0.0
	anyBand := false
	for g, sp := range splits {
		var errPts errorPoints
		var xys plotter.XYs
		var labs []string
		for j, c := range cells {
			s := cellValue(c, sp.metric)
			x := float64(j) + float64(g-1)*(bw+0.02)
			v := finite(s.Mean)
			poly, err := plotter.NewPolygon(plotter.XYs{{X: x - bw/2}, {X: x + bw/2}, {X: x + bw/2, Y: v}, {X: x - bw/2, Y: v}})
			if err != nil {
				return nil, leg, fmt.Errorf("bar chart: %w", err)
			}
			poly.Color = splitGreys[g]
			poly.LineStyle = draw.LineStyle{Color: color.Black, Width: vg.Points(0.5)}
			bars.Add(poly)
			if j == 0 {
				leg.Add(sp.name, poly)
			}
			peak := v
			if s.N > 1 && !math.IsNaN(s.Lo) {
				errPts.XYs = append(errPts.XYs, plotter.XY{X: x, Y: v})
				errPts.YErrors = append(errPts.YErrors, struct{ Low, High float64 }{v - s.Lo, s.Hi - v})
				peak = s.Hi
				anyBand = true
			}
			top = math.Max(top, peak)
			xys = append(xys, plotter.XY{X: x, Y: peak})
			labs = append(labs, fmt.Sprintf("%.3f", v))
		}
		if len(errPts.XYs) > 0 {
			eb, err := plotter.NewYErrorBars(errPts)
			if err != nil {
				return nil, leg, fmt.Errorf("error bars: %w", err)
			}
			eb.LineStyle.Width = vg.Points(1.2)
			eb.CapWidth = vg.Points(8)
			bars.Add(eb)
		}
		labels, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labs})
		if err != nil {
			return nil, leg, fmt.Errorf("bar labels: %w", err)
		}
		for i := range labels.TextStyle {
			labels.TextStyle[i].XAlign = draw.XCenter
			labels.TextStyle[i].Font.Size = vg.Points(9)
		}
		labels.Offset = vg.Point{Y: vg.Points(3)}
		bars.Add(labels)
	}
	if anyBand {
		leg.Add("error bar: "+bandName, errorBarThumb{})
	}
	var ticks []plot.Tick
	for j, c := range cells {
		r := c.Recs[0]
		secs := cellValue(c, "train_seconds").Mean
		trained := "trained in " + formatSeconds(secs)
		if len(c.Recs) > 1 {
			trained += fmt.Sprintf(" (mean of %d seeds)", len(c.Recs))
		}
		ticks = append(ticks, plot.Tick{Value: float64(j), Label: fmt.Sprintf("%s, n = %s\n%s parameters\n%s",
			r.Run.Arch.Name, groupThousands(r.Run.N), groupThousands(r.Metrics.Params), trained)})
	}
	bars.X.Tick.Marker = plot.ConstantTicks(ticks)
	bars.X.Tick.Label.Font.Size = vg.Points(11)
	bars.X.Min, bars.X.Max = -0.6, float64(len(cells))-0.4
	// Bars start at 0; the top leaves room for the value labels.
	bars.Y.Min, bars.Y.Max = 0, math.Min(1.05, math.Max(0.1, top*1.15))
	return bars, leg, nil
}

// errorBarThumb is an error bar's legend thumbnail.
type errorBarThumb struct{}

func (errorBarThumb) Thumbnail(c *draw.Canvas) {
	x := (c.Min.X + c.Max.X) / 2
	lo, hi := c.Min.Y+vg.Points(1), c.Max.Y-vg.Points(1)
	ls := draw.LineStyle{Color: color.Black, Width: vg.Points(1.2)}
	c.StrokeLine2(ls, x, lo, x, hi)
	c.StrokeLine2(ls, x-vg.Points(4), lo, x+vg.Points(4), lo)
	c.StrokeLine2(ls, x-vg.Points(4), hi, x+vg.Points(4), hi)
}

// errorPoints are bar tops with their error bars.
type errorPoints struct {
	plotter.XYs
	plotter.YErrors
}

func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
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
// map with every count written in its cell and the class names on the
// axes, as PNG.
func ConfusionFigure(title string, m [][]int, classes []string) ([]byte, error) {
	return pngOf(confusionFigure(title, m, classes))
}

func confusionFigure(title string, m [][]int, classes []string) (figure, error) {
	k := len(m)
	if k == 0 {
		return figure{}, fmt.Errorf("confusion figure %q: empty matrix", title)
	}
	for i, row := range m {
		if len(row) != k {
			return figure{}, fmt.Errorf("confusion figure %q: row %d has %d counts, want %d", title, i+1, len(row), k)
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
	return figure{w: 9.5, h: 8.5, draw: func(dc draw.Canvas) error {
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
	}}, nil
}
