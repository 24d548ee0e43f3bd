package yamlfile

import "testing"

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"epoch", "epochs", 1}, {"gird", "grid", 1},
		{"L1", "l1", 0}, {"kitten", "sitting", 3}, {"ab", "ba", 1}, {"ca", "abc", 3},
	}
	for _, tc := range tests {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	if got := Closest("fashion_mnist", []string{"cifar10", "fashion-mnist"}); got != "fashion-mnist" {
		t.Errorf("Closest(fashion_mnist) = %q", got)
	}
	if got := Closest("zzz", []string{"cifar10", "fashion-mnist"}); got != "" {
		t.Errorf("Closest(zzz) = %q, want no suggestion", got)
	}
}

func TestUnknownMsg(t *testing.T) {
	valid := []string{"red", "green", "blue"}
	for got, want := range map[string]string{
		"bleu":   `unknown channel "bleu" (did you mean blue?); valid: red, green, blue`,
		"purple": `unknown channel "purple"; valid: red, green, blue`,
	} {
		if msg := UnknownMsg("channel", got, valid); msg != want {
			t.Errorf("UnknownMsg(%q) = %q, want %q", got, msg, want)
		}
	}
}
