package convolution

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // photos may be JPEG
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"convlab/internal/atomicfile"
	"convlab/internal/yamlfile"
)

// MaxPixels bounds the photo's size (width x height).
const MaxPixels = 16 << 20

// Result is what a convolution experiment computes.
type Result struct {
	// Planes holds the red, green and blue channels of the photo.
	Planes map[string]*Plane
	// Convolved[c][i] is channel c convolved with the i-th kernel.
	Convolved map[string][]*Plane
	// Stats has one row per convolution, in the order of the files.
	Stats []Stat
	// Figure is Figure 1, laid out by Layout.
	Figure *image.Gray
	Layout Layout
	Grid   [][]Panel
}

// CheckImage checks, without decoding it, that the experiment's photo
// exists, is a PNG or JPEG and is not too big.
func (e *Experiment) CheckImage() error {
	f, err := e.openImage()
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = e.decodeConfig(f)
	return err
}

// Run reads a convolution experiment file and runs it: Load, then
// RunExperiment.
func Run(path, outRoot string) (string, error) {
	exp, err := Load(path)
	if err != nil {
		return "", err
	}
	return RunExperiment(exp, outRoot)
}

// RunExperiment convolves the experiment's photo and writes into
// outRoot/<name>/: red.png, green.png and blue.png, one
// <channel>_<kernel>.png per convolution, figure1.png, and figure1.csv
// (one row of Stat per convolution). It returns that directory.
func RunExperiment(exp *Experiment, outRoot string) (string, error) {
	img, err := exp.ReadImage()
	if err != nil {
		return "", err
	}
	res, err := Compute(exp, img)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(outRoot, exp.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("%s: create output directory: %w", exp.Path, err)
	}
	for _, c := range Channels {
		if err := writePNG(filepath.Join(dir, c+".png"), res.Planes[c].Gray()); err != nil {
			return "", err
		}
	}
	for _, c := range exp.Channels {
		for i, k := range exp.Kernels {
			if err := writePNG(filepath.Join(dir, c+"_"+k.Name+".png"), res.Convolved[c][i].Gray()); err != nil {
				return "", err
			}
		}
	}
	if err := writeStats(filepath.Join(dir, "figure1.csv"), res.Stats); err != nil {
		return "", err
	}
	if err := writePNG(filepath.Join(dir, "figure1.png"), res.Figure); err != nil {
		return "", err
	}
	return dir, nil
}

// Stat summarises one convolution: how far the sums reach outside the
// 8-bit range and how much of the picture clipping flattens.
type Stat struct {
	Channel string
	Kernel  string
	// KernelSum is the sum of the weights: the factor applied to a flat
	// region (0 for a pure edge detector).
	KernelSum float64
	// RawMin and RawMax bound the sums before clipping.
	RawMin, RawMax float64
	// Mean is the mean output pixel, after clipping.
	Mean float64
	// ClippedLow and ClippedHigh are the shares of pixels whose rounded
	// sum fell below 0 or above 255.
	ClippedLow, ClippedHigh float64
}

func stat(channel string, k NamedKernel, raw []float64, out *Plane) Stat {
	s := Stat{Channel: channel, Kernel: k.Name, RawMin: raw[0], RawMax: raw[0]}
	for _, row := range k.Kernel {
		for _, v := range row {
			s.KernelSum += v
		}
	}
	var low, high, sum int
	for i, v := range raw {
		s.RawMin, s.RawMax = min(s.RawMin, v), max(s.RawMax, v)
		switch r := math.Round(v); {
		case r < 0:
			low++
		case r > 255:
			high++
		}
		sum += int(out.Pix[i])
	}
	n := float64(len(raw))
	s.Mean, s.ClippedLow, s.ClippedHigh = float64(sum)/n, float64(low)/n, float64(high)/n
	return s
}

// StatsHeader is the header row of figure1.csv.
var StatsHeader = []string{"channel", "kernel", "kernel_sum", "raw_min", "raw_max", "mean_output", "share_clipped_below_0", "share_clipped_above_255"}

// writeStats writes one CSV row per convolution, atomically.
func writeStats(path string, stats []Stat) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write(StatsHeader); err != nil {
			return err
		}
		f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
		for _, s := range stats {
			if err := cw.Write([]string{s.Channel, s.Kernel, f(s.KernelSum), f(s.RawMin), f(s.RawMax), f(s.Mean), f(s.ClippedLow), f(s.ClippedHigh)}); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
}

// Compute splits img into its channels, convolves each of the
// experiment's channels with each kernel and renders Figure 1.
func Compute(exp *Experiment, img image.Image) (*Result, error) {
	res := &Result{Planes: SplitRGB(img), Convolved: map[string][]*Plane{}}
	for _, c := range exp.Channels {
		p, ok := res.Planes[c]
		if !ok {
			return nil, &yamlfile.Error{File: exp.Path, Field: "channels", Msg: yamlfile.UnknownMsg("channel", c, Channels)}
		}
		for _, k := range exp.Kernels {
			raw, err := ConvolveRaw(p, k.Kernel)
			if err != nil {
				return nil, fmt.Errorf("%s: kernel %s on the %s channel: %w", exp.Path, k.Name, c, err)
			}
			out := ClipRaw(raw, p.W, p.H)
			res.Convolved[c] = append(res.Convolved[c], out)
			res.Stats = append(res.Stats, stat(c, k, raw, out))
		}
	}
	res.Grid = Grid(exp.Kernels, exp.Channels, res.Planes, res.Convolved)
	fig, l, err := Render(res.Grid)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", exp.Path, err)
	}
	res.Figure, res.Layout = fig, l
	return res, nil
}

// SplitRGB returns the red, green and blue channels of img as 8-bit planes
// (colours not premultiplied by alpha), keyed by channel name.
func SplitRGB(img image.Image) map[string]*Plane {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	r, g, bl := NewPlane(w, h), NewPlane(w, h), NewPlane(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
			i := y*w + x
			r.Pix[i], g.Pix[i], bl.Pix[i] = c.R, c.G, c.B
		}
	}
	return map[string]*Plane{"red": r, "green": g, "blue": bl}
}

// ReadImage decodes the experiment's photo.
func (e *Experiment) ReadImage() (image.Image, error) {
	f, err := e.openImage()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := e.decodeConfig(f); err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, 0); err != nil {
		return nil, e.imageError(err, "image %s: %v", e.Image, err)
	}
	img, _, err := image.Decode(bufio.NewReader(f))
	if err != nil {
		return nil, e.imageError(err, "image %s: decode: %v", e.Image, err)
	}
	return img, nil
}

// imageError is a problem with the photo, located where the file names it
// (err, if any, is its cause).
func (e *Experiment) imageError(err error, format string, args ...any) error {
	return &yamlfile.Error{File: e.Path, Line: e.ImagePos.Line, Column: e.ImagePos.Col, Msg: fmt.Sprintf(format, args...), Err: err}
}

func (e *Experiment) openImage() (*os.File, error) {
	f, err := os.Open(e.Image)
	if err != nil {
		return nil, e.imageError(err, "image: %v (relative paths are resolved against the experiment file's directory)", err)
	}
	return f, nil
}

func (e *Experiment) decodeConfig(f *os.File) (image.Config, error) {
	cfg, format, err := image.DecodeConfig(bufio.NewReader(f))
	if err != nil {
		return cfg, e.imageError(err, "image %s: not a readable PNG or JPEG: %v", e.Image, err)
	}
	if format != "png" && format != "jpeg" {
		return cfg, e.imageError(nil, "image %s is %s: want PNG or JPEG", e.Image, format)
	}
	if cfg.Width < 1 || cfg.Height < 1 {
		return cfg, e.imageError(nil, "image %s is empty (%dx%d)", e.Image, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return cfg, e.imageError(nil, "image %s is %dx%d: at most %d pixels are allowed; scale it down", e.Image, cfg.Width, cfg.Height, MaxPixels)
	}
	return cfg, nil
}

// writePNG encodes img to path atomically.
func writePNG(path string, img image.Image) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		enc := png.Encoder{CompressionLevel: png.BestCompression}
		return enc.Encode(w, img)
	})
}
