package dataset

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLoadUnknown(t *testing.T) {
	_, _, err := Load("mnist", "")
	if err == nil || !strings.Contains(err.Error(), `"mnist"`) || !strings.Contains(err.Error(), "cifar10, fashion-mnist") {
		t.Fatalf("error %v; want the unknown name and the valid ones", err)
	}
	if _, _, err := LoadCached("mnist", ""); err == nil {
		t.Fatal("LoadCached accepted an unknown data set")
	}
}

func TestResolveDir(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	env := t.TempDir()
	explicit := t.TempDir()
	tests := []struct {
		name, dir, env, envName, want string
	}{
		{"cifar10", explicit, env, CIFAR10Env, explicit},
		{"cifar10", "", env, CIFAR10Env, env},
		{"cifar10", "", "", CIFAR10Env, filepath.Join(cache, "convlab", "cifar-10-batches-bin")},
		{"fashion-mnist", explicit, env, FashionMNISTEnv, explicit},
		{"fashion-mnist", "", env, FashionMNISTEnv, env},
		{"fashion-mnist", "", "", FashionMNISTEnv, "/usr/share/datasets/fashion-mnist"},
	}
	for _, tc := range tests {
		t.Setenv(tc.envName, tc.env)
		got, err := ResolveDir(tc.name, tc.dir)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("ResolveDir(%q, %q) with %s=%q = %q; want %q", tc.name, tc.dir, tc.envName, tc.env, got, tc.want)
		}
	}
	// A relative directory resolves to an absolute one.
	wd, _ := os.Getwd()
	if got, _ := ResolveDir("cifar10", "testdata"); got != filepath.Join(wd, "testdata") {
		t.Errorf("ResolveDir of a relative dir = %q; want %q", got, filepath.Join(wd, "testdata"))
	}
}

func TestInfoEnv(t *testing.T) {
	for name, env := range map[string]string{"cifar10": CIFAR10Env, "fashion-mnist": FashionMNISTEnv} {
		info, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if info.Env != env {
			t.Errorf("%s: Env = %q; want %q", name, info.Env, env)
		}
		t.Setenv(env, "/from/env")
		if got := info.NamedDir("/given"); got != "/given" {
			t.Errorf("%s: NamedDir(/given) = %q; want the given dir", name, got)
		}
		if got := info.NamedDir(""); got != "/from/env" {
			t.Errorf("%s: NamedDir(\"\") = %q; want $%s", name, got, env)
		}
		t.Setenv(env, "")
		if got := info.NamedDir(""); got != "" {
			t.Errorf("%s: NamedDir(\"\") with %s unset = %q; want empty (the default location)", name, env, got)
		}
	}
}

func TestLoadFromEnvNamesIt(t *testing.T) {
	t.Cleanup(ClearCache)
	for name, env := range map[string]string{"cifar10": CIFAR10Env, "fashion-mnist": FashionMNISTEnv} {
		dir := filepath.Join(t.TempDir(), "absent")
		t.Setenv(env, dir)
		_, _, err := Load(name, "")
		if err == nil || !strings.Contains(err.Error(), "(read from "+env+"="+dir+")") {
			t.Errorf("%s: error %v; want it to say it read %s", name, err, env)
		}
		_, _, err = LoadCached(name, "")
		if err == nil || !strings.Contains(err.Error(), "(read from "+env+"="+dir+")") {
			t.Errorf("%s: LoadCached error %v; want it to say it read %s", name, err, env)
		}
		_, _, err = Load(name, dir)
		if err == nil || strings.Contains(err.Error(), "read from") {
			t.Errorf("%s: explicit dir: error %v; want no mention of %s", name, err, env)
		}
	}
}

func TestLoadCached(t *testing.T) {
	t.Cleanup(ClearCache)
	dir := newCIFARFixture().write(t, t.TempDir())
	other := newCIFARFixture().write(t, t.TempDir())
	train1, test1, err := LoadCached("cifar10", dir)
	if err != nil {
		t.Fatal(err)
	}
	train2, test2, err := LoadCached("cifar10", dir+string(filepath.Separator)+".")
	if err != nil {
		t.Fatal(err)
	}
	if train1 != train2 || test1 != test2 {
		t.Error("a second call for the same directory read the files again")
	}
	t.Setenv(CIFAR10Env, dir)
	if train3, _, _ := LoadCached("cifar10", ""); train3 != train1 {
		t.Error("the same directory named by CIFAR10_DIR was read again")
	}
	train4, _, err := LoadCached("cifar10", other)
	if err != nil {
		t.Fatal(err)
	}
	if train4 == train1 {
		t.Error("another directory returned the first directory's sets")
	}
	ClearCache()
	if train5, _, _ := LoadCached("cifar10", dir); train5 == train1 {
		t.Error("ClearCache did not forget the sets")
	}
}

func TestLoadCachedRetriesErrors(t *testing.T) {
	t.Cleanup(ClearCache)
	dir := t.TempDir()
	if _, _, err := LoadCached("cifar10", dir); err == nil {
		t.Fatal("an empty directory loaded")
	}
	newCIFARFixture().write(t, dir)
	train, _, err := LoadCached("cifar10", dir)
	if err != nil {
		t.Fatalf("the error of the first call was remembered: %v", err)
	}
	if train.N != 7 {
		t.Fatalf("got %d images; want 7", train.N)
	}
}

// countingLoads is registered only in the test binary: it counts its
// loads and is slow enough for concurrent callers to overlap.
var countingLoads atomic.Int32

func init() {
	Register(&Info{Name: "test-counting", C: 1, H: 1, W: 1, Load: func(dir string) (*Set, *Set, error) {
		countingLoads.Add(1)
		time.Sleep(20 * time.Millisecond)
		s := &Set{N: 1, C: 1, H: 1, W: 1, Pixels: []byte{1}, Labels: []byte{0}}
		return s, s, nil
	}})
}

func TestLoadCachedConcurrent(t *testing.T) {
	t.Cleanup(ClearCache)
	countingLoads.Store(0)
	dirs := []string{"/a", "/b"}
	var wg sync.WaitGroup
	got := make([]*Set, 16)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, _, err := LoadCached("test-counting", dirs[i%2])
			if err != nil {
				t.Error(err)
			}
			got[i] = s
		}()
	}
	wg.Wait()
	if n := countingLoads.Load(); n != 2 {
		t.Errorf("%d loads for 16 concurrent calls on 2 directories; want 2", n)
	}
	for i := range got {
		if got[i] != got[i%2] || got[i] == nil {
			t.Errorf("call %d got a different set than call %d", i, i%2)
		}
	}
	if got[0] == got[1] {
		t.Error("two directories shared one set")
	}
}

func ExampleLoadCached() {
	dir := filepath.Join("testdata", "fashion")
	train, test, err := LoadCached("fashion-mnist", dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	again, _, _ := LoadCached("fashion-mnist", dir)
	fmt.Println(train.N, test.N, train.Labels, again == train)
	// Output: 3 2 [9 0 3] true
}
