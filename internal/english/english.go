// Package english words counts the same way in every convlab message.
package english

// Plural is the "s" of a count's noun: "1 run", "2 runs".
func Plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
