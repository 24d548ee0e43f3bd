package results

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// HistoryColumns are the columns of history.csv, in order.
var HistoryColumns = []string{"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds"}

// FormatFloat formats a number the way every convlab CSV does: the
// shortest text that reads back as the same float64 (strconv 'g', -1).
func FormatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func encodeCSV(rows [][]string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.WriteAll(rows) // writing to a bytes.Buffer cannot fail
	return b.Bytes()
}

// EncodeHistory formats a training history as history.csv.
func EncodeHistory(h []Epoch) []byte {
	rows := [][]string{HistoryColumns}
	for _, e := range h {
		rows = append(rows, []string{strconv.Itoa(e.Epoch), FormatFloat(e.Loss), FormatFloat(e.Accuracy),
			FormatFloat(e.ValLoss), FormatFloat(e.ValAccuracy), FormatFloat(e.Seconds)})
	}
	return encodeCSV(rows)
}

// DecodeHistory parses history.csv. The columns may come in any order but
// must be exactly HistoryColumns. Errors start with "LINE:COLUMN: ".
func DecodeHistory(data []byte) ([]Epoch, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.ReuseRecord = false
	header, err := r.Read()
	if err == io.EOF {
		return nil, errors.New("1:1: empty file; want the header " + strings.Join(HistoryColumns, ","))
	}
	if err != nil {
		return nil, csvErr(err)
	}
	idx := map[string]int{}
	for i, name := range header {
		name = strings.TrimSpace(name)
		if !slices.Contains(HistoryColumns, name) {
			line, col := r.FieldPos(i)
			return nil, fmt.Errorf("%d:%d: unknown column %q; valid columns: %s", line, col, name, strings.Join(HistoryColumns, ", "))
		}
		if _, dup := idx[name]; dup {
			line, col := r.FieldPos(i)
			return nil, fmt.Errorf("%d:%d: column %q appears twice", line, col, name)
		}
		idx[name] = i
	}
	for _, name := range HistoryColumns {
		if _, ok := idx[name]; !ok {
			return nil, fmt.Errorf("1:1: missing column %q; want the columns %s", name, strings.Join(HistoryColumns, ", "))
		}
	}
	var out []Epoch
	for {
		row, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, csvErr(err)
		}
		var e Epoch
		num := func(name string) float64 {
			if err != nil {
				return 0
			}
			i := idx[name]
			v, perr := strconv.ParseFloat(strings.TrimSpace(row[i]), 64)
			if perr != nil {
				line, col := r.FieldPos(i)
				err = fmt.Errorf("%d:%d: %s %q is not a number", line, col, name, row[i])
			}
			return v
		}
		i := idx["epoch"]
		ep, perr := strconv.Atoi(strings.TrimSpace(row[i]))
		if perr != nil {
			line, col := r.FieldPos(i)
			return nil, fmt.Errorf("%d:%d: epoch %q is not a whole number", line, col, row[i])
		}
		e.Epoch = ep
		e.Loss = num("loss")
		e.Accuracy = num("accuracy")
		e.ValLoss = num("val_loss")
		e.ValAccuracy = num("val_accuracy")
		e.Seconds = num("seconds")
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
}

func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%d:%d: %w", pe.Line, pe.Column, pe.Err)
	}
	return err
}

// ClassificationColumns are the columns of a classification report CSV.
var ClassificationColumns = []string{"label", "precision", "recall", "f1", "support"}

// EncodeClassificationReport formats a report in scikit-learn's
// classification_report layout: one row per class, then "accuracy" (the
// accuracy in the f1 column and the total support, precision and recall
// empty), "macro avg" and "weighted avg".
func EncodeClassificationReport(rep ClassificationReport) []byte {
	rows := [][]string{ClassificationColumns}
	row := func(s ClassScores) []string {
		return []string{s.Label, FormatFloat(s.Precision), FormatFloat(s.Recall), FormatFloat(s.F1), strconv.Itoa(s.Support)}
	}
	for _, c := range rep.Classes {
		rows = append(rows, row(c))
	}
	macro, weighted := rep.Macro, rep.Weighted
	if macro.Label == "" {
		macro.Label = "macro avg"
	}
	if weighted.Label == "" {
		weighted.Label = "weighted avg"
	}
	rows = append(rows, []string{"accuracy", "", "", FormatFloat(rep.Accuracy), strconv.Itoa(macro.Support)})
	rows = append(rows, row(macro), row(weighted))
	return encodeCSV(rows)
}

// ConfusionCorner is the top-left cell of a confusion matrix CSV.
const ConfusionCorner = `true\predicted`

// EncodeConfusion formats a confusion matrix: a header row of
// ConfusionCorner and the class names, then one row per true class. A
// class without a name is named by its index.
func EncodeConfusion(m [][]int, classes []string) []byte {
	k := len(m)
	name := func(i int) string {
		if i < len(classes) {
			return classes[i]
		}
		return strconv.Itoa(i)
	}
	header := []string{ConfusionCorner}
	for j := range k {
		header = append(header, name(j))
	}
	rows := [][]string{header}
	for i, r := range m {
		row := []string{name(i)}
		for _, v := range r {
			row = append(row, strconv.Itoa(v))
		}
		rows = append(rows, row)
	}
	return encodeCSV(rows)
}
