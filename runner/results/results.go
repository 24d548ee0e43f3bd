// Package results defines what a finished run produced, and how it is laid
// out on disk so that reports can be rebuilt without retraining.
package results

import "convlab/runner/spec"

// Epoch is one row of a training history, named as Keras names it.
type Epoch struct {
	Epoch       int     `csv:"epoch" json:"epoch"`
	Loss        float64 `csv:"loss" json:"loss"`
	Accuracy    float64 `csv:"accuracy" json:"accuracy"`
	ValLoss     float64 `csv:"val_loss" json:"val_loss"`
	ValAccuracy float64 `csv:"val_accuracy" json:"val_accuracy"`
	Seconds     float64 `csv:"seconds" json:"seconds"`
}

// ClassScores is one row of a classification report.
type ClassScores struct {
	Label     string  `csv:"label" json:"label"`
	Precision float64 `csv:"precision" json:"precision"`
	Recall    float64 `csv:"recall" json:"recall"`
	F1        float64 `csv:"f1" json:"f1"`
	Support   int     `csv:"support" json:"support"`
}

// ClassificationReport mirrors scikit-learn's classification_report.
type ClassificationReport struct {
	Classes  []ClassScores `json:"classes"`
	Accuracy float64       `json:"accuracy"`
	Macro    ClassScores   `json:"macro_avg"`
	Weighted ClassScores   `json:"weighted_avg"`
}

// Evaluation is a trained model scored on one split with dropout off.
type Evaluation struct {
	Accuracy float64              `json:"accuracy"`
	Loss     float64              `json:"loss"`
	Report   ClassificationReport `json:"report"`
	// Confusion[i][j] counts examples of true class i predicted as j.
	Confusion [][]int `json:"confusion"`
}

// Metrics are the scores of one run.
type Metrics struct {
	Train      Evaluation `json:"train"`
	Validation Evaluation `json:"validation"`
	Test       Evaluation `json:"test"`
	// Baseline accuracies of always predicting the most common training label.
	BaselineLabel int     `json:"baseline_label"`
	BaselineTrain float64 `json:"baseline_train"`
	BaselineTest  float64 `json:"baseline_test"`
	// TrainSeconds is the wall time of training (the study's Running Time).
	TrainSeconds float64 `json:"train_seconds"`
	Params       int     `json:"params"`
}

// Provenance records what produced a result.
type Provenance struct {
	ToolVersion string `json:"tool_version"`
	GitCommit   string `json:"git_commit"`
	GitDirty    bool   `json:"git_dirty"`
	Host        string `json:"host"`
	Cores       int    `json:"cores"`
	Finished    string `json:"finished"` // RFC 3339
	// Kernels is the kernel path the run trained on (avx512, avx2, go):
	// paths round differently, so runs on different paths can differ.
	Kernels string `json:"kernels,omitempty"`
}

// Record is everything a finished run produced, apart from its weights.
type Record struct {
	Run        spec.Run   `json:"run"`
	Hash       string     `json:"hash"`
	History    []Epoch    `json:"history"`
	Metrics    Metrics    `json:"metrics"`
	Provenance Provenance `json:"provenance"`
}
