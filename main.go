// Command convlab is a declarative experiment runner for small
// convolutional networks: YAML in, trained runs, CSV tables, PNG figures
// and a Markdown report out. Run "convlab help" for the commands.
package main

import (
	"os"

	"convlab/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
