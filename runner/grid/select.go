package grid

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"convlab/runner/spec"
)

// SelectOnly returns the runs whose ID matches pattern, in their order. The
// pattern matches an ID when it matches all of it either as a glob
// (path.Match: * ? [a-z]) or as a regular expression, so both "strided-*"
// and "strided-n(5|10)000.*" do what they say. An empty pattern selects
// every run. A pattern that is neither a valid glob nor a valid regular
// expression is an error; one that matches no run selects none (a pattern
// given for several experiment files may match the runs of only some).
func SelectOnly(runs []spec.Run, pattern string) ([]spec.Run, error) {
	if pattern == "" {
		return runs, nil
	}
	match, err := Matcher(pattern)
	if err != nil {
		return nil, err
	}
	var out []spec.Run
	for _, r := range runs {
		if match(r.ID) {
			out = append(out, r)
		}
	}
	return out, nil
}

// Matcher compiles an --only pattern (see SelectOnly).
func Matcher(pattern string) (func(id string) bool, error) {
	_, globErr := path.Match(pattern, "")
	re, reErr := regexp.Compile(`^(?:` + pattern + `)$`)
	if globErr != nil && reErr != nil {
		return nil, fmt.Errorf("--only %q is neither a glob (%v) nor a regular expression (%v)", pattern, globErr, reErr)
	}
	return func(id string) bool {
		if globErr == nil {
			if ok, _ := path.Match(pattern, id); ok {
				return true
			}
		}
		return reErr == nil && re.MatchString(id)
	}, nil
}

// ParseShard parses a --shard value "i/n" (1 <= i <= n).
func ParseShard(s string) (i, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	if ok {
		i, err = strconv.Atoi(strings.TrimSpace(a))
		if err == nil {
			n, err = strconv.Atoi(strings.TrimSpace(b))
		}
	}
	if !ok || err != nil || n < 1 || i < 1 || i > n {
		return 0, 0, fmt.Errorf("--shard %q: want i/n with 1 <= i <= n, e.g. 2/4", s)
	}
	return i, n, nil
}

// SelectShard returns shard i of n (1-based): the runs sorted by content
// hash (then ID), every n-th starting at the i-th, returned in their
// original order. The n shards of a list cover it exactly once, and
// every process computes the same slices from the same list.
func SelectShard(runs []spec.Run, i, n int) []spec.Run {
	if n <= 1 {
		return runs
	}
	type keyed struct {
		hash, id string
		pos      int
	}
	ks := make([]keyed, len(runs))
	for p, r := range runs {
		ks[p] = keyed{r.Hash(), r.ID, p}
	}
	sort.Slice(ks, func(a, b int) bool {
		if ks[a].hash != ks[b].hash {
			return ks[a].hash < ks[b].hash
		}
		return ks[a].id < ks[b].id
	})
	take := make([]bool, len(runs))
	for k := i - 1; k < len(ks); k += n {
		take[ks[k].pos] = true
	}
	var out []spec.Run
	for p, r := range runs {
		if take[p] {
			out = append(out, r)
		}
	}
	return out
}
