package english

import (
	"fmt"
	"testing"
)

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "0 runs", 1: "1 run", 2: "2 runs", -1: "-1 runs"} {
		if got := fmt.Sprintf("%d run%s", n, Plural(n)); got != want {
			t.Errorf("Plural(%d) gives %q, want %q", n, got, want)
		}
	}
}
