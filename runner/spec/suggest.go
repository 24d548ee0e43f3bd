package spec

import (
	"slices"
	"strings"

	"convlab/internal/yamlfile"
)

// keyAliases are the names other tools give a setting, mapped to convlab's.
var keyAliases = map[string]string{
	"lr":            "learning_rate",
	"learning-rate": "learning_rate",
	"learningrate":  "learning_rate",
	"eps":           "epsilon",
	"batch":         "batch_size",
	"batchsize":     "batch_size",
	"batch-size":    "batch_size",
	"dropout":       "rate",
}

// unknownKeyMsg words the error for a key that is not valid where it is.
// A name another tool uses for a convlab setting (lr for learning_rate)
// is suggested by meaning rather than spelling; an optimizer setting
// outside an optimizer: mapping says where it goes.
func unknownKeyMsg(got string, valid []string) string {
	want := got
	if a, ok := keyAliases[strings.ToLower(got)]; ok {
		want = a
	}
	isOpt := want != "name" && slices.Contains(optimizerKeys, want)
	switch {
	case want != got && slices.Contains(valid, want):
		return "unknown key " + yamlfile.Quote(got) + yamlfile.DidYouMean(want) + "; valid: " + strings.Join(valid, ", ")
	case isOpt && slices.Contains(valid, "optimizer"):
		return "unknown key " + yamlfile.Quote(got) + yamlfile.DidYouMean("optimizer."+want) + "; an optimizer setting is written optimizer: {" + want + ": ...}"
	case isOpt:
		return "unknown key " + yamlfile.Quote(got) + yamlfile.DidYouMean("optimizer."+want) + "; the optimizer cannot be a grid axis: set optimizer: {" + want + ": ...} in defaults or in a sweep's set, one sweep per value"
	}
	return yamlfile.UnknownMsg("key", got, valid)
}
