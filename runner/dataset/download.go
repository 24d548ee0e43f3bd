package dataset

import (
	"archive/tar"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"
)

const (
	// cifar10URL is where the official binary distribution is published.
	cifar10URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
	// cifar10MD5 is the published MD5 of that archive.
	cifar10MD5   = "c32a1d4ab5d03f1284b67883e8d87530"
	cifarArchive = "cifar-10-binary.tar.gz"
	mb           = 1e6
)

// downloader fetches and unpacks the CIFAR-10 archive into a cache
// directory. Tests point it at a local server with their own MD5.
type downloader struct {
	URL      string
	MD5      string // hex, lower case
	Client   *http.Client
	Progress io.Writer // where the progress bar goes; nil for none
	Terminal bool      // redraw one line in place instead of printing a line every 10%
}

// newDownloader makes the downloader fetchCIFAR10 uses; tests replace it.
var newDownloader = func() *downloader {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: 30 * time.Second}).DialContext
	tr.ResponseHeaderTimeout = 60 * time.Second
	return &downloader{
		URL:      cifar10URL,
		MD5:      cifar10MD5,
		Client:   &http.Client{Transport: tr},
		Progress: os.Stderr,
		Terminal: term.IsTerminal(int(os.Stderr.Fd())),
	}
}

// fetch downloads the archive into root (unless a verified copy is already
// there), unpacks it to root/cifar-10-batches-bin and removes the archive.
// Every error says how to get the data by hand.
func (d *downloader) fetch(root string) error {
	d.say("CIFAR-10 is not in %s; downloading %s (about 170 MB)\n", filepath.Join(root, cifarDirName), d.URL)
	if err := d.fetchArchive(root); err != nil {
		return fmt.Errorf("download CIFAR-10 from %s: %w; download it by hand and set %s=/path/to/%s (or data_dir: in the experiment file)",
			d.URL, err, CIFAR10Env, cifarDirName)
	}
	archive := filepath.Join(root, cifarArchive)
	if err := unpackCIFAR(archive, root); err != nil {
		return fmt.Errorf("unpack CIFAR-10 archive %s (from %s): %w; download it by hand and set %s=/path/to/%s (or data_dir: in the experiment file)",
			archive, d.URL, err, CIFAR10Env, cifarDirName)
	}
	if err := os.Remove(archive); err != nil {
		return fmt.Errorf("remove the unpacked CIFAR-10 archive: %w", err)
	}
	d.say("CIFAR-10 unpacked into %s\n", filepath.Join(root, cifarDirName))
	return nil
}

// say writes a message to the progress writer, if any.
func (d *downloader) say(format string, args ...any) {
	if d.Progress != nil {
		fmt.Fprintf(d.Progress, format, args...)
	}
}

// fetchArchive leaves a copy of the archive with the expected MD5 at
// root/cifar-10-binary.tar.gz, downloading it to a .part file first.
func (d *downloader) fetchArchive(root string) error {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	archive := filepath.Join(root, cifarArchive)
	if sum, err := fileMD5(archive); err == nil && sum == d.MD5 {
		return nil // a complete download from an earlier run
	}
	resp, err := d.Client.Get(d.URL)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("server answered %s", resp.Status)
	}
	part, err := os.CreateTemp(root, cifarArchive+".*.part")
	if err != nil {
		return err
	}
	defer os.Remove(part.Name()) // a no-op after the rename
	h := md5.New()
	bar := newProgress(d.Progress, d.Terminal, cifarArchive, resp.ContentLength)
	n, err := io.Copy(io.MultiWriter(part, h, bar), resp.Body)
	bar.finish()
	if cerr := part.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("after %d bytes: %w", n, err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return fmt.Errorf("got %d bytes of %d", n, resp.ContentLength)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != d.MD5 {
		return fmt.Errorf("the downloaded file (%d bytes) has MD5 %s; want %s", n, sum, d.MD5)
	}
	return os.Rename(part.Name(), archive)
}

func fileMD5(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// unpackCIFAR extracts the archive into a temporary directory under root
// and then renames its cifar-10-batches-bin into root, so that a partly
// unpacked directory is never mistaken for a complete one. Only regular
// files and directories at local paths are extracted.
func unpackCIFAR(archive, root string) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	tmp, err := os.MkdirTemp(root, ".unpack-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := untarGz(f, tmp); err != nil {
		return err
	}
	got := filepath.Join(tmp, cifarDirName)
	if _, err := os.Stat(filepath.Join(got, cifarTestFile)); err != nil {
		return fmt.Errorf("the archive holds no %s/%s", cifarDirName, cifarTestFile)
	}
	dst := filepath.Join(root, cifarDirName)
	if err := os.Rename(got, dst); err != nil {
		if _, serr := os.Stat(filepath.Join(dst, cifarTestFile)); serr == nil {
			return nil // another process unpacked it first
		}
		return err
	}
	return nil
}

// untarGz extracts a gzip-compressed tar stream into dir.
func untarGz(r io.Reader, dir string) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("not a gzip file: %w", err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read tar: %w", err)
		}
		name := filepath.FromSlash(strings.TrimPrefix(hdr.Name, "./"))
		if name == "" || name == "." {
			continue
		}
		if !filepath.IsLocal(name) {
			return fmt.Errorf("the archive entry %q points outside the directory it is unpacked into", hdr.Name)
		}
		target := filepath.Join(dir, name)
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			if err := writeEntry(target, tr); err != nil {
				return err
			}
		case tar.TypeSymlink, tar.TypeLink:
			return fmt.Errorf("the archive entry %q is a link; the CIFAR-10 archive holds only files and directories", hdr.Name)
		default:
			// Devices, FIFOs and metadata entries are not extracted.
		}
	}
}

func writeEntry(target string, r io.Reader) error {
	out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("the archive holds %s twice", filepath.Base(target))
		}
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// TerminalBar, when set, makes the live bar a download shows on a terminal
// (the command line sets it to its progress library's, so that this
// package links no terminal code); unset, a terminal gets the plain lines.
var TerminalBar func(w io.Writer, name string, total int64) Bar

// Bar is a live download bar: the bytes written to it advance it, Finish
// draws its last state (complete, or where the download stopped).
type Bar interface {
	io.Writer
	Finish()
}

// progress reports a download: on a terminal through TerminalBar,
// elsewhere as a plain line every 10% (or every 10 MB when the total size
// is unknown).
type progress struct {
	w       io.Writer
	name    string
	total   int64 // -1 when unknown
	done    int64
	start   time.Time
	printed int64 // tenths (or 10 MB units) already reported by a plain line
	live    Bar   // nil for plain lines
}

func newProgress(w io.Writer, terminal bool, name string, total int64) *progress {
	p := &progress{w: w, name: name, total: total, start: time.Now()}
	if w != nil && terminal && TerminalBar != nil {
		p.live = TerminalBar(w, name, total)
	}
	return p
}

// unit is how many tenths of the total (or 10 MB units when the total is
// unknown) have arrived.
func (p *progress) unit() int64 {
	if p.total > 0 {
		return p.done * 10 / p.total
	}
	return p.done / (10 * mb)
}

func (p *progress) Write(b []byte) (int, error) {
	if p.w == nil {
		return len(b), nil
	}
	p.done += int64(len(b))
	if p.live != nil {
		return p.live.Write(b)
	}
	if u := p.unit(); u > p.printed {
		p.printed = u
		p.line(time.Now())
	}
	return len(b), nil
}

func (p *progress) rate(now time.Time) float64 {
	secs := now.Sub(p.start).Seconds()
	if secs <= 0 {
		return 0
	}
	return float64(p.done) / mb / secs
}

func (p *progress) status(now time.Time) string {
	if p.total > 0 {
		return fmt.Sprintf("%3d%%  %.1f / %.1f MB  %.1f MB/s", p.done*100/p.total, float64(p.done)/mb, float64(p.total)/mb, p.rate(now))
	}
	return fmt.Sprintf("%.1f MB  %.1f MB/s", float64(p.done)/mb, p.rate(now))
}

func (p *progress) line(now time.Time) {
	fmt.Fprintf(p.w, "downloading %s: %s\n", p.name, p.status(now))
}

// finish draws the final state.
func (p *progress) finish() {
	if p.w == nil {
		return
	}
	if p.live != nil {
		p.live.Finish()
		return
	}
	if p.total <= 0 || p.done < p.total {
		p.line(time.Now()) // otherwise Write already reported 100%
	}
}
