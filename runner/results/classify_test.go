package results

import (
	"math"
	"reflect"
	"testing"
)

// The hand-worked case: classes a, b, c;
//
//	yTrue = 0 0 0 1 1 2 2
//	yPred = 0 0 1 1 0 0 0
//
// confusion (rows true, columns predicted):
//
//	a: 2 1 0
//	b: 1 1 0
//	c: 2 0 0
//
//	a: tp 2, fp 1+2 = 3, fn 1 -> precision 2/5, recall 2/3, f1 2*2/(4+3+1) = 1/2, support 3
//	b: tp 1, fp 1,       fn 1 -> precision 1/2, recall 1/2, f1 2/(2+1+1) = 1/2,   support 2
//	c: tp 0, fp 0,       fn 2 -> precision 0 (zero division), recall 0, f1 0,      support 2
//	accuracy 3/7
//	macro:    precision (2/5+1/2)/3 = 3/10, recall (2/3+1/2)/3 = 7/18, f1 1/3
//	weighted: precision (3*2/5+2*1/2)/7 = 2.2/7, recall (3*2/3+2*1/2)/7 = 3/7, f1 (3/2+1)/7 = 2.5/7
var (
	handTrue = []int{0, 0, 0, 1, 1, 2, 2}
	handPred = []int{0, 0, 1, 1, 0, 0, 0}
)

func TestComputeReportHandWorked(t *testing.T) {
	got := ComputeReport(handTrue, handPred, []string{"a", "b", "c"})
	want := ClassificationReport{
		Classes: []ClassScores{
			{"a", 2.0 / 5, 2.0 / 3, 0.5, 3},
			{"b", 0.5, 0.5, 0.5, 2},
			{"c", 0, 0, 0, 2},
		},
		Accuracy: 3.0 / 7,
		Macro:    ClassScores{"macro avg", 0.3, 7.0 / 18, 1.0 / 3, 7},
		Weighted: ClassScores{"weighted avg", 2.2 / 7, 3.0 / 7, 2.5 / 7, 7},
	}
	assertReport(t, got, want)
}

func TestComputeReportEdges(t *testing.T) {
	tests := []struct {
		name        string
		yTrue, yPat []int
		classes     []string
		want        ClassificationReport
	}{
		{
			name: "empty", classes: []string{"a", "b"},
			want: ClassificationReport{
				Classes:  []ClassScores{{Label: "a"}, {Label: "b"}},
				Macro:    ClassScores{Label: "macro avg"},
				Weighted: ClassScores{Label: "weighted avg"},
			},
		},
		{
			// Perfect predictions of a; b never occurs: its zeros pull the
			// macro average down but not the weighted one.
			name: "absent class", yTrue: []int{0, 0}, yPat: []int{0, 0}, classes: []string{"a", "b"},
			want: ClassificationReport{
				Classes:  []ClassScores{{"a", 1, 1, 1, 2}, {"b", 0, 0, 0, 0}},
				Accuracy: 1,
				Macro:    ClassScores{"macro avg", 0.5, 0.5, 0.5, 2},
				Weighted: ClassScores{"weighted avg", 1, 1, 1, 2},
			},
		},
		{
			// Out-of-range labels count as wrong; the extra prediction is ignored.
			name: "bad labels and lengths", yTrue: []int{0, 5, 1}, yPat: []int{0, 1, -1, 0}, classes: []string{"a", "b"},
			want: ClassificationReport{
				// a: tp 1, fp 0, fn 0; b: tp 0, fp 1 (true 5), fn 1 (pred -1)
				Classes:  []ClassScores{{"a", 1, 1, 1, 1}, {"b", 0, 0, 0, 1}},
				Accuracy: 1.0 / 3,
				Macro:    ClassScores{"macro avg", 0.5, 0.5, 0.5, 2},
				Weighted: ClassScores{"weighted avg", 0.5, 0.5, 0.5, 2},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertReport(t, ComputeReport(tt.yTrue, tt.yPat, tt.classes), tt.want)
		})
	}
}

func assertReport(t *testing.T, got, want ClassificationReport) {
	t.Helper()
	if len(got.Classes) != len(want.Classes) {
		t.Fatalf("got %d classes, want %d", len(got.Classes), len(want.Classes))
	}
	for i := range want.Classes {
		assertScores(t, got.Classes[i], want.Classes[i])
	}
	if !near(got.Accuracy, want.Accuracy) {
		t.Errorf("accuracy = %v, want %v", got.Accuracy, want.Accuracy)
	}
	assertScores(t, got.Macro, want.Macro)
	assertScores(t, got.Weighted, want.Weighted)
}

func assertScores(t *testing.T, got, want ClassScores) {
	t.Helper()
	if got.Label != want.Label || got.Support != want.Support || !near(got.Precision, want.Precision) ||
		!near(got.Recall, want.Recall) || !near(got.F1, want.F1) {
		t.Errorf("scores = %+v, want %+v", got, want)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12 }

func TestConfusion(t *testing.T) {
	tests := []struct {
		name        string
		yTrue, yPat []int
		k           int
		want        [][]int
	}{
		{"hand-worked", handTrue, handPred, 3, [][]int{{2, 1, 0}, {1, 1, 0}, {2, 0, 0}}},
		{"out of range ignored", []int{0, 3, 1, -1}, []int{1, 0, 1, 0}, 2, [][]int{{0, 1}, {0, 1}}},
		{"shorter prediction", []int{0, 1, 1}, []int{0}, 2, [][]int{{1, 0}, {0, 0}}},
		{"no classes", []int{0}, []int{0}, 0, [][]int{}},
		{"negative k", []int{0}, []int{0}, -2, [][]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Confusion(tt.yTrue, tt.yPat, tt.k); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Confusion = %v, want %v", got, tt.want)
			}
		})
	}
}

// The report's totals agree with the confusion matrix on random data.
func TestReportMatchesConfusion(t *testing.T) {
	k := 4
	var yt, yp []int
	for i := range 200 {
		yt = append(yt, (i*7+i/3)%k)
		yp = append(yp, (i*5+i/7)%k)
	}
	m := Confusion(yt, yp, k)
	rep := ComputeReport(yt, yp, []string{"0", "1", "2", "3"})
	diag := 0
	for c := range k {
		row, col := 0, 0
		for j := range k {
			row += m[c][j]
			col += m[j][c]
		}
		diag += m[c][c]
		if rep.Classes[c].Support != row {
			t.Errorf("class %d support %d, confusion row sum %d", c, rep.Classes[c].Support, row)
		}
		if want := float64(m[c][c]) / float64(col); col > 0 && !near(rep.Classes[c].Precision, want) {
			t.Errorf("class %d precision %v, want %v", c, rep.Classes[c].Precision, want)
		}
	}
	if !near(rep.Accuracy, float64(diag)/200) || !near(rep.Weighted.Recall, rep.Accuracy) {
		t.Errorf("accuracy %v, weighted recall %v, want %v", rep.Accuracy, rep.Weighted.Recall, float64(diag)/200)
	}
}
