package spec

import (
	"strings"
	"testing"
)

// Messages seen by new users: each names file:line:column and suggests
// what a Keras user means.
func TestLoadMessagesForNewUsers(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"lr in a grid", "sweeps:\n  a: {grid: {lr: [0.1]}}\n",
			[]string{"x.yaml:2:14: sweeps.a.grid.lr: unknown key \"lr\" (did you mean optimizer.learning_rate?); the optimizer cannot be a grid axis"}},
		{"lr in defaults", "defaults:\n  lr: 0.1\nsweeps:\n  a: {}\n",
			[]string{"x.yaml:2:3: defaults.lr: unknown key \"lr\" (did you mean optimizer.learning_rate?); an optimizer setting is written optimizer: {learning_rate: ...}"}},
		{"lr in optimizer", "defaults:\n  optimizer: {lr: 0.1}\nsweeps:\n  a: {}\n",
			[]string{"x.yaml:2:15: defaults.optimizer.lr: unknown key \"lr\" (did you mean learning_rate?)"}},
		{"n far too large", "defaults:\n  n: 100000000000\nsweeps:\n  a: {}\n",
			[]string{"x.yaml:2:6: defaults.n: 100000000000 is more than the 50000 training images of cifar10; valid: 1 to 50000"}},
		{"n too large", "defaults:\n  n: 60000\nsweeps:\n  a: {}\n",
			[]string{"x.yaml:2:6: defaults.n: 60000 is more than the 50000 training images of cifar10; valid: 1 to 50000"}},
		{"tab indent", "defaults:\n\tepochs: 3\nsweeps:\n  a: {}\n",
			[]string{"x.yaml:2:1: invalid YAML: a tab character; YAML indents with spaces only"}},
		{"tab on the first line", "\tdefaults: {}\n",
			[]string{"x.yaml:1:1: invalid YAML: a tab character"}},
		{"tab after the reported line", "defaults:\n  epochs: 3\n  \t\nsweeps: {}\n",
			[]string{"x.yaml:3:3: invalid YAML: a tab character"}},
		{"reserved indicator", "defaults:\n  n: @5\n",
			[]string{"x.yaml:2:6: invalid YAML: '@' cannot start a value; put the value in quotes"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadData("x.yaml", []byte(tc.body))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}
