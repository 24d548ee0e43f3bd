package report

import "testing"

func BenchmarkCurvesFigure(b *testing.B) {
	recs, _ := fixtureRecords()
	for b.Loop() {
		if _, err := CurvesFigure(recs[0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConfusionFigure(b *testing.B) {
	recs, _ := fixtureRecords()
	for b.Loop() {
		if _, err := ConfusionFigure("t", recs[0].Metrics.Test.Confusion, cifarClasses); err != nil {
			b.Fatal(err)
		}
	}
}
