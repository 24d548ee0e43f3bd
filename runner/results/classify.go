package results

// ComputeReport scores predictions as scikit-learn's classification_report
// does with zero_division=0, over every class index 0..len(classes)-1 (a
// class absent from both yTrue and yPred is listed with zeros and counts in
// the macro average, as scikit-learn does when given labels):
//
//	precision = tp / (tp + fp)        (0 when tp + fp = 0)
//	recall    = tp / (tp + fn)        (0 when tp + fn = 0)
//	f1        = 2tp / (2tp + fp + fn) (0 when the denominator is 0)
//	support   = tp + fn
//
// Accuracy is the fraction of pairs predicted right; the macro average is
// the unweighted mean over classes and the weighted average the mean
// weighted by support; both report the total support. Pairs whose labels
// are outside 0..len(classes)-1 count as wrong predictions for accuracy
// and are otherwise ignored; pairs past the end of the shorter slice are
// ignored.
func ComputeReport(yTrue, yPred []int, classes []string) ClassificationReport {
	k := len(classes)
	n := min(len(yTrue), len(yPred))
	tp := make([]int, k)
	fp := make([]int, k)
	fn := make([]int, k)
	correct := 0
	for i := range n {
		t, p := yTrue[i], yPred[i]
		if t == p && t >= 0 && t < k {
			tp[t]++
			correct++
			continue
		}
		if t >= 0 && t < k {
			fn[t]++
		}
		if p >= 0 && p < k {
			fp[p]++
		}
	}
	rep := ClassificationReport{Classes: make([]ClassScores, k)}
	total := 0
	for c := range k {
		s := ClassScores{
			Label:     classes[c],
			Precision: ratio(tp[c], tp[c]+fp[c]),
			Recall:    ratio(tp[c], tp[c]+fn[c]),
			F1:        ratio(2*tp[c], 2*tp[c]+fp[c]+fn[c]),
			Support:   tp[c] + fn[c],
		}
		rep.Classes[c] = s
		total += s.Support
	}
	if n > 0 {
		rep.Accuracy = float64(correct) / float64(n)
	}
	rep.Macro = ClassScores{Label: "macro avg", Support: total}
	rep.Weighted = ClassScores{Label: "weighted avg", Support: total}
	for _, s := range rep.Classes {
		rep.Macro.Precision += s.Precision
		rep.Macro.Recall += s.Recall
		rep.Macro.F1 += s.F1
		w := float64(s.Support)
		rep.Weighted.Precision += s.Precision * w
		rep.Weighted.Recall += s.Recall * w
		rep.Weighted.F1 += s.F1 * w
	}
	if k > 0 {
		rep.Macro.Precision /= float64(k)
		rep.Macro.Recall /= float64(k)
		rep.Macro.F1 /= float64(k)
	}
	if total > 0 {
		rep.Weighted.Precision /= float64(total)
		rep.Weighted.Recall /= float64(total)
		rep.Weighted.F1 /= float64(total)
	} else {
		rep.Weighted.Precision, rep.Weighted.Recall, rep.Weighted.F1 = 0, 0, 0
	}
	return rep
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Confusion counts predictions: m[i][j] is the number of examples of true
// class i predicted as class j, for classes 0..k-1 (scikit-learn's
// confusion_matrix with labels=range(k)). Pairs with a label outside that
// range, and pairs past the end of the shorter slice, are not counted. A k
// below 0 is taken as 0.
func Confusion(yTrue, yPred []int, k int) [][]int {
	k = max(k, 0)
	m := make([][]int, k)
	for i := range m {
		m[i] = make([]int, k)
	}
	n := min(len(yTrue), len(yPred))
	for i := range n {
		t, p := yTrue[i], yPred[i]
		if t >= 0 && t < k && p >= 0 && p < k {
			m[t][p]++
		}
	}
	return m
}
