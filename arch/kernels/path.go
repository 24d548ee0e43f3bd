package kernels

import (
	"fmt"
	"os"
	"strings"
)

// Kernel paths: which instruction set the float32 hot loops use.
const (
	PathAVX512 = "avx512" // 512-bit GEMM micro-kernels (AVX-512F), AVX2 elsewhere
	PathAVX2   = "avx2"   // 256-bit AVX2/FMA micro-kernels
	PathGo     = "go"     // portable Go loops
)

// PathEnv names the environment variable that selects a kernel path
// (avx512, avx2 or go); unset or empty, the fastest the CPU has is used.
const PathEnv = "CONVLAB_KERNELS"

// path is the selected kernel path; pathErr says why the one PathEnv asked
// for could not be used (the fastest path is used instead).
var (
	path    string
	pathErr error
)

func init() { _ = UseEnv(os.Getenv(PathEnv)) }

// UseEnv selects the kernel path a value of PathEnv names: the fastest
// this CPU has when it is empty, else that path; a name the CPU cannot run
// leaves the fastest path in use and is the error, which EnvError reports
// from then on. The package calls it as it loads, with the environment's
// value; tests call it to start over as with another value.
func UseEnv(value string) error {
	path, pathErr = Paths()[0], nil
	setUseAVX()
	if strings.TrimSpace(value) == "" {
		return nil
	}
	if err := SetPath(value); err != nil {
		pathErr = fmt.Errorf("%s: %w", PathEnv, err)
	}
	return pathErr
}

// Paths lists the kernel paths this CPU and build can run, fastest first.
func Paths() []string {
	var ps []string
	if hasAVX512 {
		ps = append(ps, PathAVX512)
	}
	if hasAVX2 {
		ps = append(ps, PathAVX2)
	}
	return append(ps, PathGo)
}

// Path is the kernel path in use. Paths round differently (the Go loops
// do not fuse multiply and add), so runs record it with their results.
func Path() string { return path }

// EnvError is the error, if any, of the kernel path asked for through
// PathEnv: not a path, or one this CPU cannot run. The fastest path is
// used in its place.
func EnvError() error { return pathErr }

// SetPath selects a kernel path for every later call. It is meant for
// start-up, tests and benchmarks: calls in flight keep the path they
// started with only by chance.
func SetPath(p string) error {
	p = strings.ToLower(strings.TrimSpace(p))
	for _, ok := range Paths() {
		if p == ok {
			path = p
			setUseAVX()
			return nil
		}
	}
	switch p {
	case PathAVX512, PathAVX2, PathGo:
		return fmt.Errorf("kernel path %q: this CPU or build does not support it; supported: %s", p, strings.Join(Paths(), ", "))
	}
	return fmt.Errorf("kernel path %q: not a kernel path; valid: %s, %s, %s", p, PathAVX512, PathAVX2, PathGo)
}

// setUseAVX derives the per-kernel switches from path.
func setUseAVX() {
	useAVX = path != PathGo
	useAVX512 = path == PathAVX512
}
