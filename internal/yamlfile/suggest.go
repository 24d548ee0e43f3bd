package yamlfile

import "strings"

// editDistance is the number of single-letter insertions, deletions,
// substitutions and swaps of neighbours that turn a into b, ignoring case
// (the optimal string alignment distance).
func editDistance(a, b string) int {
	ra, rb := []rune(strings.ToLower(a)), []rune(strings.ToLower(b))
	// d[i][j] is the distance between ra[:i] and rb[:j].
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// Closest returns the word of valid nearest to got when it is near enough
// to be a plausible typo, or "": the "did you mean" of every convlab error.
func Closest(got string, valid []string) string {
	if len(got) > 64 {
		return "" // not a typo of a short key, and too costly to compare
	}
	best, bestD := "", 0
	for _, v := range valid {
		d := editDistance(got, v)
		if best == "" || d < bestD {
			best, bestD = v, d
		}
	}
	limit := max(1, min(3, len([]rune(got))/3))
	// Words that differ only by punctuation ("fashion_mnist") are typos too.
	if best != "" && (bestD <= limit || squash(got) == squash(best)) {
		return best
	}
	return ""
}

// squash lowercases s and drops everything but letters and digits.
func squash(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// UnknownMsg words the error for a name that is not one of valid, as
// Unknown records it, for a check made after decoding.
func UnknownMsg(what, got string, valid []string) string {
	return "unknown " + what + " " + Quote(got) + DidYouMean(Closest(got, valid)) + "; valid: " + strings.Join(valid, ", ")
}

// DidYouMean is the hint after an unknown name, " (did you mean X?)", in
// the one wording of every convlab message, or "" without a suggestion.
func DidYouMean(suggestion string) string {
	if suggestion == "" {
		return ""
	}
	return " (did you mean " + suggestion + "?)"
}
