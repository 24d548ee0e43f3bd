package dataset

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// archiveServer serves archive at /cifar-10-binary.tar.gz on loopback and
// 404 elsewhere, counting the requests for the archive.
func archiveServer(t *testing.T, archive []byte) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/cifar-10-binary.tar.gz" {
			http.NotFound(w, r)
			return
		}
		hits.Add(1)
		w.Header().Set("Content-Type", "application/gzip")
		w.Write(archive)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func md5Hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// useDownloader makes Load("cifar10", "") download from srv with the given MD5
// into a fresh user cache directory, and returns that cache root and the
// progress output.
func useDownloader(t *testing.T, url, sum string) (root string, progress *bytes.Buffer) {
	t.Helper()
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv("HOME", cache)
	t.Setenv(CIFAR10Env, "")
	progress = new(bytes.Buffer)
	old := newDownloader
	newDownloader = func() *downloader {
		return &downloader{URL: url, MD5: sum, Client: http.DefaultClient, Progress: progress}
	}
	t.Cleanup(func() { newDownloader = old })
	root, err := cacheRoot()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(root, cache) {
		t.Fatalf("cache root %s is not under the test's cache %s", root, cache)
	}
	return root, progress
}

func TestDownloadCIFAR10(t *testing.T) {
	archive := cifarArchiveBytes(t)
	srv, hits := archiveServer(t, archive)
	root, progress := useDownloader(t, srv.URL+"/cifar-10-binary.tar.gz", md5Hex(archive))

	train, test, err := Load("cifar10", "")
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 7 || test.N != 2 || test.Labels[0] != 9 {
		t.Fatalf("got %d train, %d test images (test label 0 = %d); want the fixture's 7 and 2 (label 9)", train.N, test.N, test.Labels[0])
	}
	if train.Classes[0] != "a" {
		t.Errorf("classes %v; want those of the archive's batches.meta.txt", train.Classes)
	}
	if _, err := os.Stat(filepath.Join(root, cifarDirName, "data_batch_5.bin")); err != nil {
		t.Errorf("the batches were not unpacked into the cache: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(root, "*"))
	if len(left) != 1 {
		t.Errorf("the cache holds %v; want only %s (no archive, .part or temporary directory)", left, cifarDirName)
	}
	for _, w := range []string{"CIFAR-10 is not in " + filepath.Join(root, cifarDirName), "100%", "MB/s", "unpacked into"} {
		if !strings.Contains(progress.String(), w) {
			t.Errorf("progress output %q does not contain %q", progress.String(), w)
		}
	}
	// The second load finds the unpacked cache and does not download.
	if _, _, err := Load("cifar10", ""); err != nil {
		t.Fatal(err)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("%d downloads; want 1", n)
	}
}

func TestDownloadKeepsVerifiedArchive(t *testing.T) {
	archive := cifarArchiveBytes(t)
	srv, hits := archiveServer(t, archive)
	root, _ := useDownloader(t, srv.URL+"/cifar-10-binary.tar.gz", md5Hex(archive))
	// A complete archive from an earlier, interrupted run is unpacked
	// without asking the server.
	writeFile(t, filepath.Join(root, cifarArchive), archive)
	if _, _, err := Load("cifar10", ""); err != nil {
		t.Fatal(err)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d downloads; want 0", n)
	}
}

func TestDownloadErrors(t *testing.T) {
	archive := cifarArchiveBytes(t)
	srv, _ := archiveServer(t, archive)
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL + "/cifar-10-binary.tar.gz"
	closed.Close()
	evil := tarGz(t, tarEntry{name: "cifar-10-batches-bin/test_batch.bin", body: cifarBytes(0, 1)}, tarEntry{name: "../evil.bin", body: []byte("x")})
	link := tarGz(t, tarEntry{name: "cifar-10-batches-bin/test_batch.bin", link: "/etc/passwd"})
	empty := tarGz(t, tarEntry{name: "other/readme.txt", body: []byte("x")})
	hint := "download it by hand and set CIFAR10_DIR=/path/to/cifar-10-batches-bin (or data_dir: in the experiment file)"

	tests := []struct {
		name    string
		serve   []byte // nil uses the good archive server
		path    string
		url     string
		sum     string
		want    []string
		archive bool // the downloaded archive is kept for the next try
	}{
		{name: "bad MD5", path: "/cifar-10-binary.tar.gz", sum: strings.Repeat("0", 32), want: []string{"MD5 " + md5Hex(archive), "want " + strings.Repeat("0", 32), hint}},
		{name: "404", path: "/nothing-here.tar.gz", want: []string{"404 Not Found", "/nothing-here.tar.gz", hint}},
		{name: "connection refused", url: closedURL, want: []string{closedURL, hint}},
		{name: "unsafe path", serve: evil, want: []string{`"../evil.bin"`, "outside", hint}, archive: true},
		{name: "symlink", serve: link, want: []string{"is a link", hint}, archive: true},
		{name: "no batches", serve: empty, want: []string{"cifar-10-batches-bin/test_batch.bin", hint}, archive: true},
		{name: "not gzip", serve: []byte("<html>captive portal</html>"), want: []string{"not a gzip file", hint}, archive: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url, sum := srv.URL+tc.path, tc.sum
			body := archive
			if tc.serve != nil {
				s, _ := archiveServer(t, tc.serve)
				url, body = s.URL+"/cifar-10-binary.tar.gz", tc.serve
			}
			if tc.url != "" {
				url = tc.url
			}
			if sum == "" {
				sum = md5Hex(body)
			}
			root, _ := useDownloader(t, url, sum)
			_, _, err := Load("cifar10", "")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			left, _ := filepath.Glob(filepath.Join(root, "*"))
			want := 0
			if tc.archive {
				want = 1
			}
			if len(left) != want {
				t.Errorf("the cache holds %v after the failure; want %d files (no .part, no partial batches)", left, want)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(root), "evil.bin")); err == nil {
				t.Error("an archive entry was written outside the cache")
			}
		})
	}
}

func TestExplicitDirDoesNotDownload(t *testing.T) {
	_, _ = useDownloader(t, "http://127.0.0.1:1/never", "")
	newDownloader = func() *downloader {
		t.Fatal("an explicit directory started a download")
		return nil
	}
	_, _, err := Load("cifar10", filepath.Join(t.TempDir(), "absent"))
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("error %v; want the missing file named", err)
	}
}

func TestEnvDirDoesNotDownload(t *testing.T) {
	_, _ = useDownloader(t, "http://127.0.0.1:1/never", "")
	newDownloader = func() *downloader {
		t.Fatal("a directory named by CIFAR10_DIR started a download")
		return nil
	}
	t.Setenv(CIFAR10Env, filepath.Join(t.TempDir(), "absent"))
	for _, load := range []func(string, string) (*Set, *Set, error){Load, LoadCached} {
		_, _, err := load("cifar10", "")
		if err == nil || !strings.Contains(err.Error(), "missing") {
			t.Fatalf("error %v; want the missing file named", err)
		}
	}
}

func TestLoadCachedDownloadsDefault(t *testing.T) {
	t.Cleanup(ClearCache)
	archive := cifarArchiveBytes(t)
	srv, hits := archiveServer(t, archive)
	useDownloader(t, srv.URL+"/cifar-10-binary.tar.gz", md5Hex(archive))
	train, _, err := LoadCached("cifar10", "")
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 7 || hits.Load() != 1 {
		t.Errorf("%d images after %d downloads; want the fixture's 7 after 1", train.N, hits.Load())
	}
}

func TestProgress(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out, false, "x.tar.gz", 1000)
	chunk := make([]byte, 100)
	for i := 0; i < 10; i++ {
		p.Write(chunk)
	}
	p.finish()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 10 {
		t.Fatalf("%d lines; want one per 10%%:\n%s", len(lines), out.String())
	}
	for i, l := range lines {
		want := []string{"downloading x.tar.gz:", " " + []string{" 10", " 20", " 30", " 40", " 50", " 60", " 70", " 80", " 90", "100"}[i] + "%", "/ 0.0 MB", "MB/s"}
		for _, w := range want {
			if !strings.Contains(l, w) {
				t.Errorf("line %d %q does not contain %q", i, l, w)
			}
		}
	}

	// Bigger chunks skip tenths but still print at most one line each,
	// and an unfinished download gets a last line.
	out.Reset()
	p = newProgress(&out, false, "x", 1000)
	p.Write(make([]byte, 350))
	p.Write(make([]byte, 300))
	p.finish()
	if got := strings.Count(out.String(), "\n"); got != 3 || !strings.Contains(out.String(), " 65%") {
		t.Errorf("output %q; want 3 lines ending at 65%%", out.String())
	}

	// Unknown size: a line every 10 MB.
	out.Reset()
	p = newProgress(&out, false, "x", -1)
	mbChunk := make([]byte, 1e6)
	for i := 0; i < 25; i++ {
		p.Write(mbChunk)
	}
	p.finish()
	if got := out.String(); strings.Count(got, "\n") != 3 || !strings.Contains(got, "25.0 MB") || strings.Contains(got, "%") {
		t.Errorf("output %q; want lines at 10 and 20 MB and a last one at 25.0 MB", got)
	}

	// A terminal gets the bar TerminalBar makes: every byte goes to it,
	// and no plain line.
	var fake fakeBar
	TerminalBar = func(w io.Writer, name string, total int64) Bar {
		fake.name, fake.total = name, total
		return &fake
	}
	defer func() { TerminalBar = nil }()
	out.Reset()
	p = newProgress(&out, true, "x.tar.gz", 1000)
	p.Write(make([]byte, 400))
	p.Write(make([]byte, 600))
	p.finish()
	if fake.name != "x.tar.gz" || fake.total != 1000 || fake.bytes != 1000 || !fake.finished || out.Len() != 0 {
		t.Errorf("bar %+v, plain output %q; want x.tar.gz, 1000 bytes of 1000, finished, no plain line", fake, out.String())
	}
	// Without one, a terminal gets the plain lines.
	TerminalBar = nil
	out.Reset()
	p = newProgress(&out, true, "x", 1000)
	for range 10 {
		p.Write(make([]byte, 100))
	}
	p.finish()
	if got := out.String(); strings.Count(got, "\n") != 10 {
		t.Errorf("terminal output without a bar %q; want the ten plain lines", got)
	}
}

// fakeBar records what a download tells its bar.
type fakeBar struct {
	name         string
	total, bytes int64
	finished     bool
}

func (f *fakeBar) Write(b []byte) (int, error) { f.bytes += int64(len(b)); return len(b), nil }
func (f *fakeBar) Finish()                     { f.finished = true }
