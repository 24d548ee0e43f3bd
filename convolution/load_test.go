package convolution

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"convlab/internal/yamlfile"
)

func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		path string
		src  string
		want *Experiment
	}{
		{
			name: "study file",
			path: "exp/figure1.yaml",
			src: `kind: convolution
name: figure1
image: images/cat.png
channel: blue
kernels:
  kernel_1: [[-1,-1,-1],[-1,8,-1],[-1,-1,-1]]
  kernel_2: [[0,-1,0],[-1,8,-1],[0,-1,0]]
`,
			want: &Experiment{
				Path: "exp/figure1.yaml", Name: "figure1",
				Image: filepath.Join("exp", "images", "cat.png"), ImagePos: Pos{3, 8},
				Channels: []string{"blue"},
				Kernels: []NamedKernel{
					{"kernel_1", Kernel{{-1, -1, -1}, {-1, 8, -1}, {-1, -1, -1}}},
					{"kernel_2", Kernel{{0, -1, 0}, {-1, 8, -1}, {0, -1, 0}}},
				},
			},
		},
		{
			name: "defaults: name from the file, blue channel; kernel order kept",
			path: "/abs/dir/my-conv.yaml",
			src: `kind: convolution
image: /photos/p.JPG
kernels:
  zz: [[1]]
  aa: [[0.5]]
`,
			want: &Experiment{
				Path: "/abs/dir/my-conv.yaml", Name: "my-conv",
				Image: "/photos/p.JPG", ImagePos: Pos{2, 8},
				Channels: []string{"blue"},
				Kernels: []NamedKernel{
					{"zz", Kernel{{1}}},
					{"aa", Kernel{{0.5}}},
				},
			},
		},
		{
			name: "channel list, block style, anchors without aliases",
			path: "c.yaml",
			src: `kind: convolution
name: c
image: a.jpeg
channels:
  - green
  - red
kernels:
  k5: &big
    - [1, 2, 3, 4, 5]
    - [6, 7, 8, 9, 10]
    - [11, 12, 13, 14, 15]
    - [16, 17, 18, 19, 20]
    - [21, 22, 23, 24, 25.5]
`,
			want: &Experiment{
				Path: "c.yaml", Name: "c", Image: "a.jpeg", ImagePos: Pos{3, 8},
				Channels: []string{"green", "red"},
				Kernels: []NamedKernel{{"k5", Kernel{
					{1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}, {11, 12, 13, 14, 15}, {16, 17, 18, 19, 20}, {21, 22, 23, 24, 25.5},
				}}},
			},
		},
		{
			name: "aliases are followed, as in training files",
			path: "al.yaml",
			src: `kind: convolution
image: &p a.png
name: *p
kernels:
  k: &r [[1]]
  j: *r
`,
			want: &Experiment{
				Path: "al.yaml", Name: "a.png", Image: "a.png", ImagePos: Pos{2, 8},
				Channels: []string{"blue"},
				Kernels:  []NamedKernel{{"k", Kernel{{1}}}, {"j", Kernel{{1}}}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse([]byte(tc.src), tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Parse =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestLoadTestdata(t *testing.T) {
	exp, err := Load(filepath.Join("testdata", "valid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if exp.Name != "edges" || exp.Image != filepath.Join("testdata", "tiny.png") {
		t.Errorf("name %q image %q, want edges and testdata/tiny.png", exp.Name, exp.Image)
	}
	if !reflect.DeepEqual(exp.Channels, []string{"red", "blue"}) {
		t.Errorf("channels %v, want [red blue]", exp.Channels)
	}
	if len(exp.Kernels) != 2 || exp.Kernels[1].Name != "blur5" || len(exp.Kernels[1].Kernel) != 5 || exp.Kernels[1].Kernel[4][4] != 0.04 {
		t.Errorf("kernels %+v, want identity then the 5x5 blur5 of 0.04", exp.Kernels)
	}
	if _, err := Load(filepath.Join("testdata", "nonexistent.yaml")); err == nil || !strings.Contains(err.Error(), "nonexistent.yaml") {
		t.Errorf("Load of a missing file: %v, want an error naming it", err)
	}
}

// TestParseErrors checks each error's position and wording.
func TestParseErrors(t *testing.T) {
	const head = "kind: convolution\nname: x\nimage: a.png\n"
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"misspelt key", head + "kernal:\n  k: [[1]]\n",
			[]string{`f.yaml:4:1: kernal: unknown key "kernal" (did you mean kernels?); valid: kind, name, image, channel, channels, kernels`, "f.yaml:1:1: missing kernels"}},
		{"misspelt channel key", head + "chanel: blue\nkernels: {k: [[1]]}\n",
			[]string{`f.yaml:4:1: chanel: unknown key "chanel" (did you mean channel?)`}},
		{"unknown key far from any", head + "colour: blue\nkernels: {k: [[1]]}\n",
			[]string{`f.yaml:4:1: colour: unknown key "colour"; valid: kind`}},
		{"misspelt channel", head + "channel: bleu\nkernels: {k: [[1]]}\n",
			[]string{`f.yaml:4:10: channel: unknown channel "bleu" (did you mean blue?); valid: red, green, blue`}},
		{"channel number", head + "channel: 3\nkernels: {k: [[1]]}\n",
			[]string{"f.yaml:4:10: channel: must be text, got the number 3"}},
		{"channel list as channel", head + "channel: [red]\nkernels: {k: [[1]]}\n",
			[]string{"f.yaml:4:10: channel: must be text, got a list"}},
		{"channels not a list", head + "channels: red\nkernels: {k: [[1]]}\n",
			[]string{`f.yaml:4:11: channels: must be a list such as [red, blue], got the text "red"`}},
		{"channels empty", head + "channels: []\nkernels: {k: [[1]]}\n",
			[]string{"f.yaml:4:11: channels: empty list"}},
		{"channel twice", head + "channels: [red, green, red]\nkernels: {k: [[1]]}\n",
			[]string{"f.yaml:4:24: channel red is listed twice"}},
		{"channel and channels", head + "channel: red\nchannels: [blue]\nkernels: {k: [[1]]}\n",
			[]string{"f.yaml:4:1: give either channel or channels, not both"}},
		{"even kernel", head + "kernels:\n  k: [[1, 0], [0, 1]]\n",
			[]string{"f.yaml:5:6: kernel k is 2x2: its size must be odd (1x1, 3x3, 5x5, ...) so that it has a centre"}},
		{"non-square kernel", head + "kernels:\n  k: [[1, 0, 1], [0, 1, 0]]\n",
			[]string{"f.yaml:5:6: kernel k is not square: it has 2 rows of 3 values; want a square kernel of odd size"}},
		{"ragged kernel", head + "kernels:\n  k: [[1, 0, 1], [0, 1], [1, 1, 1]]\n",
			[]string{"f.yaml:5:18: kernel k: row 2 has 2 values but row 1 has 3"}},
		{"flat kernel", head + "kernels:\n  k: [1, 2, 3]\n",
			[]string{"f.yaml:5:7: kernel k, row 1: want a list of 3 numbers, got the number 1"}},
		{"scalar kernel", head + "kernels:\n  k: 5\n",
			[]string{"f.yaml:5:6: kernel k: want a square kernel of odd size"}},
		{"empty kernel", head + "kernels:\n  k: []\n",
			[]string{"f.yaml:5:6: kernel k: want a square kernel of odd size"}},
		{"word in kernel", head + "kernels:\n  k: [[1, 0, 0], [0, a, 0], [0, 0, 1]]\n",
			[]string{`f.yaml:5:22: kernels.k[1][1]: must be a number, got the text "a"`}},
		{"quoted number in kernel", head + "kernels:\n  k: [['1']]\n",
			[]string{`f.yaml:5:8: kernels.k[0][0]: must be a number, got the text "1"; write it without quotes`}},
		{"NaN in kernel", head + "kernels:\n  k: [[.nan]]\n",
			[]string{"f.yaml:5:8: kernels.k[0][0]: must be a finite number, got .nan"}},
		{"Inf in kernel", head + "kernels:\n  k: [[-.inf]]\n",
			[]string{"f.yaml:5:8: kernels.k[0][0]: must be a finite number, got -.inf"}},
		{"overflowing float in kernel", head + "kernels:\n  k: [[1e400]]\n",
			[]string{`f.yaml:5:8: kernels.k[0][0]: must be a number, got the text "1e400"`}},
		{"kernels a list", head + "kernels: [[1]]\n",
			[]string{"f.yaml:4:10: kernels: must be a mapping from names to kernels, got a list"}},
		{"kernels empty", head + "kernels: {}\n",
			[]string{"f.yaml:4:10: kernels: empty mapping"}},
		{"kernel name with slash", head + "kernels:\n  a/b: [[1]]\n",
			[]string{`f.yaml:5:3: kernels: "a/b" is not usable as a kernel name`}},
		{"duplicate kernel", head + "kernels:\n  k: [[1]]\n  k: [[2]]\n",
			[]string{"f.yaml:6:3: kernels.k: duplicate key; first set at line 5:3"}},
		{"duplicate key", head + "kind: convolution\nkernels: {k: [[1]]}\n",
			[]string{"f.yaml:4:1: kind: duplicate key; first set at line 1:1"}},
		{"wrong kind", "kind: training\nimage: a.png\nkernels: {k: [[1]]}\n",
			[]string{`f.yaml:1:7: kind: must be convolution for this file, got the text "training"`}},
		{"missing kind and image", "kernels: {k: [[1]]}\n",
			[]string{"f.yaml:1:1: missing kind: convolution", "f.yaml:1:1: missing image"}},
		{"bad image type", "kind: convolution\nimage: cat.gif\nkernels: {k: [[1]]}\n",
			[]string{`f.yaml:2:8: image: want a .png, .jpg or .jpeg file, got "cat.gif"`}},
		{"image not a string", "kind: convolution\nimage: {a: 1}\nkernels: {k: [[1]]}\n",
			[]string{"f.yaml:2:8: image: must be text, got a mapping"}},
		{"empty image", "kind: convolution\nimage: ''\nkernels: {k: [[1]]}\n",
			[]string{"f.yaml:2:8: image: must not be empty"}},
		{"bad name", "kind: convolution\nname: ../up\nimage: a.png\nkernels: {k: [[1]]}\n",
			[]string{`f.yaml:2:7: name: "../up" is not usable as a results directory name`}},
		{"null name", "kind: convolution\nname:\nimage: a.png\nkernels: {k: [[1]]}\n",
			[]string{"f.yaml:2:6: name: missing value"}},
		{"alias to a bad value", "kind: convolution\nimage: &p [a.png]\nname: *p\nkernels: {k: [[1]]}\n",
			[]string{"f.yaml:2:8: image: must be text, got a list", "f.yaml:2:8: name: must be text, got a list"}},
		{"alias as a bad kernel", head + "kernels:\n  k: &r [[1, 2]]\n  j: *r\n",
			[]string{"f.yaml:5:6: kernel k is not square", "f.yaml:5:6: kernel j is not square"}},
		{"syntax error", "kind: convolution\nkernels: [[1]\n",
			[]string{"f.yaml:", "invalid YAML: did not find expected ',' or ']'"}},
		{"tab indentation", "kind: convolution\nkernels:\n\tk: [[1]]\n",
			[]string{"f.yaml:3:1: invalid YAML: a tab character"}},
		{"empty file", "", []string{"f.yaml: the file is empty; a convolution file is a YAML mapping"}},
		{"comment only", "# nothing\n", []string{"f.yaml: the file is empty"}},
		{"top-level list", "- kind: convolution\n", []string{"f.yaml:1:1: must be a mapping of keys"}},
		{"top-level scalar", "convolution\n", []string{`f.yaml:1:1: must be a mapping of keys (kind, name, image, channel, kernels), got the text "convolution"`}},
		{"two documents", head + "kernels: {k: [[1]]}\n---\nkind: convolution\n", []string{"f.yaml:5:1: a second YAML document"}},
		{"non-scalar key", head + "kernels: {k: [[1]]}\n? [a]\n: 1\n", []string{"f.yaml:5:3: keys must be plain names, got a list"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			exp, err := Parse([]byte(tc.src), "f.yaml")
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", exp)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\ndoes not contain\n%s", err, w)
				}
			}
		})
	}
}

// TestParseReportsEveryError checks that one pass reports all problems.
func TestParseReportsEveryError(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "many_errors.yaml"))
	if err == nil {
		t.Fatal("many_errors.yaml loaded without error")
	}
	p := filepath.Join("testdata", "many_errors.yaml")
	want := []string{
		p + `:4:1: chanel: unknown key "chanel" (did you mean channel?)`,
		p + ":6:9: kernel even is 2x2",
		p + ":7:23: kernel ragged: row 2 has 2 values but row 1 has 3",
		p + `:8:12: kernels.words[0][0]: must be a number, got the text "a"`,
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Errorf("%d errors, want %d:\n%v", len(lines), len(want), err)
	}
	for i, w := range want {
		if i < len(lines) && !strings.HasPrefix(lines[i], w) {
			t.Errorf("error line %d is\n%s\nwant (errors in file order)\n%s", i+1, lines[i], w)
		}
	}
}

func TestDidYouMean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"kernal", "kernels"}, {"Kernels", "kernels"}, {"KIND", "kind"}, {"imag", "image"},
		{"chanels", "channels"}, {"nme", "name"}, {"bleu", "blue"}, {"xyz", ""}, {"photo", ""},
	}
	valid := append(append([]string{}, keys...), Channels...)
	for _, tc := range tests {
		if got := yamlfile.Closest(tc.in, valid); got != tc.want {
			t.Errorf("yamlfile.Closest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzLoad(f *testing.F) {
	for _, name := range []string{"valid.yaml", "many_errors.yaml", "missing_image.yaml", "not_png.yaml"} {
		data, err := readTestdata(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("kind: convolution\nimage: a.png\nkernels: {k: [[1]]}\n"))
	f.Add([]byte("kind: convolution\nimage: &a a.png\nname: *a\n"))
	f.Add([]byte("kernels:\n  k: [[1, 0], [0, 1]]\n---\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		exp, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		if !yamlfile.IsSafeName(exp.Name) {
			t.Errorf("accepted name %q", exp.Name)
		}
		if exp.Image == "" || len(exp.Channels) == 0 || len(exp.Kernels) == 0 {
			t.Errorf("accepted an incomplete experiment: %+v", exp)
		}
		for _, c := range exp.Channels {
			if c != "red" && c != "green" && c != "blue" {
				t.Errorf("accepted channel %q", c)
			}
		}
		for _, k := range exp.Kernels {
			if _, err := k.Kernel.Size(); err != nil {
				t.Errorf("accepted kernel %s: %v", k.Name, err)
			}
		}
	})
}

func TestParseErrorsInFileOrder(t *testing.T) {
	// "both channel and channels" is found after the walk over the keys,
	// yet is reported first because it is on line 1.
	_, err := Parse([]byte("channel: red\nkind: convolution\nchannels: [blue]\nimage: x.gif\nkernels: {k: [[1]]}\n"), "o.yaml")
	if err == nil {
		t.Fatal("no error")
	}
	want := "o.yaml:1:1: give either channel or channels, not both\n" +
		`o.yaml:4:8: image: want a .png, .jpg or .jpeg file, got "x.gif"`
	if err.Error() != want {
		t.Errorf("error\n%v\nwant\n%s", err, want)
	}
}
