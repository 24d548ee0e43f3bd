package grid

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"convlab/runner/spec"
)

func TestMatcher(t *testing.T) {
	tests := []struct {
		pattern string
		match   []string
		nomatch []string
	}{
		{"strided-*", []string{"strided-n5000-s1", "strided-"}, []string{"maxpool-n5000-s1", "xstrided-n1"}},
		{"*-l1_0.001-*", []string{"strided-l1_0.001-s1"}, []string{"strided-l1_0x001-s1", "strided-l1_0.0001-s1"}},
		{"strided-n(5|10)000.*", []string{"strided-n5000-s1", "strided-n10000"}, []string{"strided-n20000-s1"}},
		{"deeper", []string{"deeper"}, []string{"deeper-n50000"}},
		{"maxpool-n[0-9]*-s1", []string{"maxpool-n5000-s1"}, []string{"maxpool-nx-s1"}},
	}
	for _, tt := range tests {
		m, err := Matcher(tt.pattern)
		if err != nil {
			t.Fatalf("Matcher(%q): %v", tt.pattern, err)
		}
		for _, id := range tt.match {
			if !m(id) {
				t.Errorf("%q does not match %q", tt.pattern, id)
			}
		}
		for _, id := range tt.nomatch {
			if m(id) {
				t.Errorf("%q matches %q", tt.pattern, id)
			}
		}
	}
	if _, err := Matcher("a[(b"); err == nil || !strings.Contains(err.Error(), `--only "a[(b" is neither a glob`) {
		t.Errorf("bad pattern: %v", err)
	}
}

func TestParseShard(t *testing.T) {
	tests := []struct {
		in   string
		i, n int
		ok   bool
	}{
		{"1/1", 1, 1, true}, {"2/4", 2, 4, true}, {" 3 / 3 ", 3, 3, true},
		{"0/4", 0, 0, false}, {"5/4", 0, 0, false}, {"1/0", 0, 0, false},
		{"1", 0, 0, false}, {"a/b", 0, 0, false}, {"-1/2", 0, 0, false}, {"", 0, 0, false},
	}
	for _, tt := range tests {
		i, n, err := ParseShard(tt.in)
		if (err == nil) != tt.ok || i != tt.i || n != tt.n {
			t.Errorf("ParseShard(%q) = %d, %d, %v", tt.in, i, n, err)
		}
		if err != nil && !strings.Contains(err.Error(), "want i/n with 1 <= i <= n") {
			t.Errorf("ParseShard(%q) error %q does not say what is valid", tt.in, err)
		}
	}
}

func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"1/2", "3/3", "0/1", "x", "9999999999999999999/1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		i, n, err := ParseShard(s)
		if err == nil && (i < 1 || i > n) {
			t.Errorf("ParseShard(%q) = %d/%d", s, i, n)
		}
	})
}

func TestShardsCoverGridOnce(t *testing.T) {
	runs := grid(23)
	for n := 1; n <= 7; n++ {
		seen := map[string]int{}
		sizes := []int{}
		for i := 1; i <= n; i++ {
			part := SelectShard(runs, i, n)
			sizes = append(sizes, len(part))
			// Returned in the grid's order.
			if !sort.SliceIsSorted(part, func(a, b int) bool { return part[a].N < part[b].N }) {
				t.Errorf("shard %d/%d not in grid order", i, n)
			}
			for _, r := range part {
				seen[r.ID]++
			}
		}
		if len(seen) != len(runs) {
			t.Errorf("%d shards cover %d of %d runs", n, len(seen), len(runs))
		}
		for id, c := range seen {
			if c != 1 {
				t.Errorf("%d shards: run %s in %d shards", n, id, c)
			}
		}
		// Balanced: sizes differ by at most one.
		sort.Ints(sizes)
		if sizes[len(sizes)-1]-sizes[0] > 1 {
			t.Errorf("%d shards: sizes %v", n, sizes)
		}
	}
	// Deterministic whatever the order of the list.
	shuffled := append([]spec.Run(nil), runs...)
	rand.New(rand.NewSource(1)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for i := 1; i <= 3; i++ {
		a, b := SelectShard(runs, i, 3), SelectShard(shuffled, i, 3)
		if fmt.Sprint(sortedIDs(a)) != fmt.Sprint(sortedIDs(b)) {
			t.Errorf("shard %d/3 depends on the order of the list", i)
		}
	}
	// Hand-checked: shard 1/2 takes the 1st, 3rd, ... run in hash order.
	byHash := append([]spec.Run(nil), runs...)
	sort.Slice(byHash, func(a, b int) bool { return byHash[a].Hash() < byHash[b].Hash() })
	want := map[string]bool{}
	for k := 0; k < len(byHash); k += 2 {
		want[byHash[k].ID] = true
	}
	for _, r := range SelectShard(runs, 1, 2) {
		if !want[r.ID] {
			t.Errorf("shard 1/2 holds %s, at an odd position in hash order", r.ID)
		}
	}
}

func sortedIDs(runs []spec.Run) []string {
	var out []string
	for _, r := range runs {
		out = append(out, r.ID)
	}
	sort.Strings(out)
	return out
}
