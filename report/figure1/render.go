package figure1

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"convlab/arch/convolve"
)

// Panel is one labelled picture of the figure.
type Panel struct {
	Label string
	Plane *convolve.Plane
}

// Layout is the geometry of the figure: a grid of equally sized panels,
// each with a band for its label above it, Margin pixels around the grid
// and between cells.
type Layout struct {
	PanelW, PanelH int // every panel has the photo's size
	Cols, Rows     int
	Margin         int
	LabelH         int // height of the label band above each panel
	FontPx         int // label font size in pixels
}

// NewLayout sizes the grid for panels of w x h pixels; labels scale with
// the panel width.
func NewLayout(w, h, cols, rows int) Layout {
	fontPx := min(max(w/18, 11), 28)
	return Layout{
		PanelW: w, PanelH: h, Cols: cols, Rows: rows,
		Margin: max(4, fontPx/2),
		LabelH: fontPx*3/2 + 2,
		FontPx: fontPx,
	}
}

// Size is the width and height of the whole figure.
func (l Layout) Size() image.Point {
	return image.Pt(l.Margin+l.Cols*(l.PanelW+l.Margin), l.Margin+l.Rows*(l.LabelH+l.PanelH+l.Margin))
}

// Panel is where the picture of cell (row, col) goes, label excluded.
func (l Layout) Panel(row, col int) image.Rectangle {
	x := l.Margin + col*(l.PanelW+l.Margin)
	y := l.Margin + row*(l.LabelH+l.PanelH+l.Margin) + l.LabelH
	return image.Rect(x, y, x+l.PanelW, y+l.PanelH)
}

// label is the band above a panel.
func (l Layout) label(row, col int) image.Rectangle {
	p := l.Panel(row, col)
	return image.Rect(p.Min.X, p.Min.Y-l.LabelH, p.Max.X, p.Min.Y)
}

// Grid lays out Figure 1: the top row holds the red, green and blue
// channels; then, for each convolved channel, a row with that channel
// followed by its convolution with each kernel, in file order. With more
// than two kernels the row widens up to 5 panels and wraps after that.
// planes maps a channel name to its plane; results[c][i] is channel c
// convolved with kernels[i]; a missing plane leaves its panel empty, which
// Render reports.
func Grid(kernels []string, channels []string, planes map[string]*convolve.Plane, results map[string][]*convolve.Plane) [][]Panel {
	cols := min(max(3, 1+len(kernels)), 5)
	grid := [][]Panel{make([]Panel, 0, cols)}
	for _, c := range Channels {
		grid[0] = append(grid[0], Panel{Label: c, Plane: planes[c]})
	}
	for _, c := range channels {
		cells := []Panel{{Label: c, Plane: planes[c]}}
		for i, k := range kernels {
			var p *convolve.Plane
			if i < len(results[c]) {
				p = results[c][i]
			}
			cells = append(cells, Panel{Label: c + " * " + k, Plane: p})
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
// background, each panel framed in grey with its label centred above it.
// Every panel must have the same size; empty cells stay blank.
func Render(grid [][]Panel) (*image.Gray, Layout, error) {
	var w, h, cols int
	for _, row := range grid {
		cols = max(cols, len(row))
		for _, p := range row {
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
	l := NewLayout(w, h, cols, len(grid))
	size := l.Size()
	img := image.NewGray(image.Rect(0, 0, size.X, size.Y))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.Gray{Y: 255}), image.Point{}, draw.Src)
	face, err := labelFace(l.FontPx)
	if err != nil {
		return nil, Layout{}, err
	}
	frame := image.NewUniform(color.Gray{Y: 160})
	for r, row := range grid {
		for c, p := range row {
			rect := l.Panel(r, c)
			draw.Draw(img, rect.Inset(-1), frame, image.Point{}, draw.Src)
			draw.Draw(img, rect, p.Plane.Gray(), image.Point{}, draw.Src)
			drawLabel(img, l.label(r, c), face, p.Label)
		}
	}
	return img, l, nil
}

var (
	fontOnce sync.Once
	fontData *opentype.Font
	fontErr  error
)

func labelFace(px int) (font.Face, error) {
	fontOnce.Do(func() { fontData, fontErr = opentype.Parse(goregular.TTF) })
	if fontErr != nil {
		return nil, fmt.Errorf("render figure: load label font: %w", fontErr)
	}
	face, err := opentype.NewFace(fontData, &opentype.FaceOptions{Size: float64(px), DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, fmt.Errorf("render figure: label font: %w", err)
	}
	return face, nil
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
