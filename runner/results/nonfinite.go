package results

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// JSON has no NaN or infinity, yet a diverged run has a NaN loss. So that
// such a run is still recorded, metrics.json writes each non-finite number
// as 0 and lists its real value under "nonfinite", by path: for example
// {"metrics.test.loss": "NaN"}. Reading puts the values back.

// extractNonFinite replaces every non-finite float64 reachable from v (a
// pointer to a struct) with 0 and returns the replaced values by path.
func extractNonFinite(v any) map[string]string {
	out := map[string]string{}
	walkFloats(reflect.ValueOf(v).Elem(), "", func(path string, f reflect.Value) {
		x := f.Float()
		if math.IsNaN(x) || math.IsInf(x, 0) {
			out[path] = strconv.FormatFloat(x, 'g', -1, 64)
			f.SetFloat(0)
		}
	})
	if len(out) == 0 {
		return nil
	}
	return out
}

// restoreNonFinite sets the values extractNonFinite listed.
func restoreNonFinite(v any, vals map[string]string) error {
	if len(vals) == 0 {
		return nil
	}
	found := map[string]bool{}
	var errs []string
	walkFloats(reflect.ValueOf(v).Elem(), "", func(path string, f reflect.Value) {
		s, ok := vals[path]
		if !ok {
			return
		}
		found[path] = true
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || !(math.IsNaN(x) || math.IsInf(x, 0)) {
			errs = append(errs, fmt.Sprintf("%s: %q is not NaN, +Inf or -Inf", path, s))
			return
		}
		f.SetFloat(x)
	})
	for path := range vals {
		if !found[path] {
			errs = append(errs, fmt.Sprintf("%s: no such number in the metrics", path))
		}
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return fmt.Errorf("nonfinite: %s", strings.Join(errs, "; "))
	}
	return nil
}

// walkFloats calls fn for every settable float64 in v, with its path of
// JSON names (slice elements by index).
func walkFloats(v reflect.Value, path string, fn func(string, reflect.Value)) {
	join := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	switch v.Kind() {
	case reflect.Float64, reflect.Float32:
		if v.CanSet() {
			fn(path, v)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			walkFloats(v.Field(i), join(name), fn)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkFloats(v.Index(i), join(strconv.Itoa(i)), fn)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkFloats(v.Elem(), path, fn)
		}
	}
}
