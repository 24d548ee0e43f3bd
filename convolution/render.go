package convolution

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"strconv"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
	"gonum.org/v1/plot"
	plotfont "gonum.org/v1/plot/font"
)

// Panel is one labelled picture of the figure.
type Panel struct {
	Label string
	Plane *Plane
	// Kernel, when set, is written under the label: the values the panel's
	// picture was convolved with.
	Kernel Kernel
}

// MaxShownKernel is the largest kernel size whose values a panel shows;
// a bigger kernel is named by its size.
const MaxShownKernel = 7

// kernelLines is the number of text lines under a label for a kernel.
func kernelLines(k Kernel) int {
	switch {
	case len(k) == 0:
		return 0
	case len(k) > MaxShownKernel:
		return 1
	}
	return len(k)
}

// Layout is the geometry of the figure: a grid of equally sized panels,
// each with a band for its label above it (and, in rows of convolutions,
// for its kernel's values under the label), Margin pixels around the grid
// and between cells.
type Layout struct {
	PanelW, PanelH int // every panel has the photo's size
	Cols, Rows     int
	Margin         int
	LabelH         int // height of a one-line label band
	FontPx         int // label font size in pixels
	// RowLines are the lines of kernel values under the labels of each
	// row (0 for a row of channels); KernelPx is their font size and
	// KernelLineH their line height, in pixels.
	RowLines              []int
	KernelPx, KernelLineH int
}

// NewLayout sizes the grid for panels of w x h pixels whose labels are one
// line; labels scale with the panel width.
func NewLayout(w, h, cols, rows int) Layout { return NewKernelLayout(w, h, cols, make([]int, rows)) }

// NewKernelLayout is NewLayout with room under the labels of row r for
// rowLines[r] lines of kernel values.
func NewKernelLayout(w, h, cols int, rowLines []int) Layout {
	fontPx := min(max(w/18, 11), 28)
	kernelPx := max(fontPx*4/5, 9)
	return Layout{
		PanelW: w, PanelH: h, Cols: cols, Rows: len(rowLines),
		Margin:   max(4, fontPx/2),
		LabelH:   fontPx*3/2 + 2,
		FontPx:   fontPx,
		RowLines: rowLines, KernelPx: kernelPx, KernelLineH: kernelPx * 5 / 4,
	}
}

// BandH is the height of the band above the panels of a row.
func (l Layout) BandH(row int) int {
	if row >= len(l.RowLines) || l.RowLines[row] == 0 {
		return l.LabelH
	}
	return l.LabelH + l.RowLines[row]*l.KernelLineH + l.FontPx/3
}

// rowTop is where a row's band starts.
func (l Layout) rowTop(row int) int {
	y := l.Margin
	for r := range row {
		y += l.BandH(r) + l.PanelH + l.Margin
	}
	return y
}

// Size is the width and height of the whole figure.
func (l Layout) Size() image.Point {
	return image.Pt(l.Margin+l.Cols*(l.PanelW+l.Margin), l.rowTop(l.Rows))
}

// Panel is where the picture of cell (row, col) goes, label excluded.
func (l Layout) Panel(row, col int) image.Rectangle {
	x := l.Margin + col*(l.PanelW+l.Margin)
	y := l.rowTop(row) + l.BandH(row)
	return image.Rect(x, y, x+l.PanelW, y+l.PanelH)
}

// label is the band above a panel.
func (l Layout) label(row, col int) image.Rectangle {
	p := l.Panel(row, col)
	return image.Rect(p.Min.X, l.rowTop(row), p.Max.X, p.Min.Y)
}

// Grid lays out Figure 1: the top row holds the red, green and blue
// channels; then, for each convolved channel, a row with that channel
// followed by its convolution with each kernel, in file order. With more
// than two kernels the row widens up to 5 panels and wraps after that.
// planes maps a channel name to its plane; results[c][i] is channel c
// convolved with kernels[i]; a missing plane leaves its panel empty, which
// Render reports.
func Grid(kernels []NamedKernel, channels []string, planes map[string]*Plane, results map[string][]*Plane) [][]Panel {
	cols := min(max(3, 1+len(kernels)), 5)
	grid := [][]Panel{make([]Panel, 0, cols)}
	for _, c := range Channels {
		grid[0] = append(grid[0], Panel{Label: c, Plane: planes[c]})
	}
	for _, c := range channels {
		cells := []Panel{{Label: c, Plane: planes[c]}}
		for i, k := range kernels {
			var p *Plane
			if i < len(results[c]) {
				p = results[c][i]
			}
			cells = append(cells, Panel{Label: c + " * " + k.Name, Plane: p, Kernel: k.Kernel})
		}
		for len(cells) > 0 {
			n := min(cols, len(cells))
			grid = append(grid, cells[:n:n])
			cells = cells[n:]
		}
	}
	return grid
}

// Render draws a grid of panels as one grey-scale picture: white
// background, each panel framed in grey with its label centred above it
// and, under the label, its kernel's values (in the font of the report's
// other figures). Every panel must have the same size; empty cells stay
// blank.
func Render(grid [][]Panel) (*image.Gray, Layout, error) {
	var w, h, cols int
	lines := make([]int, len(grid))
	for r, row := range grid {
		cols = max(cols, len(row))
		for _, p := range row {
			lines[r] = max(lines[r], kernelLines(p.Kernel))
			if p.Plane == nil {
				return nil, Layout{}, fmt.Errorf("render figure: panel %q has no picture", p.Label)
			}
			if w == 0 {
				w, h = p.Plane.W, p.Plane.H
			}
			if p.Plane.W != w || p.Plane.H != h || len(p.Plane.Pix) != w*h {
				return nil, Layout{}, fmt.Errorf("render figure: panel %q is %dx%d, the others %dx%d: every panel must have the same size", p.Label, p.Plane.W, p.Plane.H, w, h)
			}
		}
	}
	if w == 0 || h == 0 {
		return nil, Layout{}, fmt.Errorf("render figure: no panels")
	}
	l := NewKernelLayout(w, h, cols, lines)
	size := l.Size()
	img := image.NewGray(image.Rect(0, 0, size.X, size.Y))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.Gray{Y: 255}), image.Point{}, draw.Src)
	face, small := labelFace(l.FontPx), labelFace(max(l.KernelPx, 1))
	frame := image.NewUniform(color.Gray{Y: 160})
	for r, row := range grid {
		for c, p := range row {
			rect := l.Panel(r, c)
			draw.Draw(img, rect.Inset(-1), frame, image.Point{}, draw.Src)
			draw.Draw(img, rect, p.Plane.Gray(), image.Point{}, draw.Src)
			band := l.label(r, c)
			title := band
			title.Max.Y = title.Min.Y + l.LabelH
			drawLabel(img, title, face, p.Label)
			drawKernel(img, image.Rect(band.Min.X, title.Max.Y, band.Max.X, band.Max.Y), small, l.KernelLineH, p.Kernel)
		}
	}
	return img, l, nil
}

// labelFace is the report's figure font (gonum/plot's default, Liberation
// Serif) at px pixels.
func labelFace(px int) font.Face {
	f := plotfont.DefaultCache.Lookup(plot.DefaultFont, plotfont.Length(px))
	return f.FontFace(72)
}

// drawKernel writes a kernel's values as a small matrix centred in band,
// one row per line, each column as wide as its widest value; a kernel
// bigger than MaxShownKernel is named by its size.
func drawKernel(img *image.Gray, band image.Rectangle, face font.Face, lineH int, k Kernel) {
	if len(k) == 0 {
		return
	}
	d := &font.Drawer{Dst: img.SubImage(band).(*image.Gray), Src: image.NewUniform(color.Gray{Y: 0}), Face: face}
	if len(k) > MaxShownKernel {
		drawLabel(img, image.Rect(band.Min.X, band.Min.Y, band.Max.X, band.Min.Y+lineH), face, fmt.Sprintf("%dx%d kernel", len(k), len(k)))
		return
	}
	cells := make([][]string, len(k))
	colW := make([]int, len(k[0]))
	for i, row := range k {
		for j, v := range row {
			s := strconv.FormatFloat(v, 'g', 4, 64)
			cells[i] = append(cells[i], s)
			colW[j] = max(colW[j], d.MeasureString(s).Ceil())
		}
	}
	gap := d.MeasureString("  ").Ceil()
	total := -gap
	for _, w := range colW {
		total += w + gap
	}
	asc := face.Metrics().Ascent.Ceil()
	for i, row := range cells {
		x := band.Min.X + max(0, (band.Dx()-total)/2)
		for j, s := range row {
			// Right-aligned, as numbers in a table.
			d.Dot = fixed.P(x+colW[j]-d.MeasureString(s).Ceil(), band.Min.Y+i*lineH+asc)
			d.DrawString(s)
			x += colW[j] + gap
		}
	}
}

// drawLabel writes text centred in band (left-aligned and clipped when it
// is wider than the band), in black.
func drawLabel(img *image.Gray, band image.Rectangle, face font.Face, text string) {
	dst := img.SubImage(band).(*image.Gray)
	d := &font.Drawer{Dst: dst, Src: image.NewUniform(color.Gray{Y: 0}), Face: face}
	width := d.MeasureString(text).Ceil()
	x := band.Min.X + max(0, (band.Dx()-width)/2)
	m := face.Metrics()
	textH := (m.Ascent + m.Descent).Ceil()
	y := band.Min.Y + max(0, (band.Dy()-textH)/2) + m.Ascent.Ceil()
	d.Dot = fixed.P(x, y)
	d.DrawString(text)
}
