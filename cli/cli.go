// Package cli implements the convlab command line: a table of commands in
// the style of cmd/go, each with its own flags and help text.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"convlab/internal/yamlfile"
	"convlab/runner/grid"
	"convlab/runner/spec"
)

// Version is the convlab release; the git commit comes from the build info.
const Version = "0.1.0"

// command is one convlab subcommand.
type command struct {
	name  string
	usage string // arguments after the command name
	short string // one line for the command list
	long  string // paragraphs for "convlab help NAME"
	// setup declares the flags and returns the function that runs the
	// command once they are parsed: bind(runX).
	setup func(fs *flag.FlagSet) func(e *env, args []string) error
}

// options is what bind needs of a command's options type O: a pointer to
// it declares the command's flags on a flag set.
type options[O any] interface {
	*O
	flags(fs *flag.FlagSet)
}

// bind pairs a command's named run function with the flags of its options
// type, so that each command is an options type and a run function rather
// than a closure.
func bind[O any, P options[O]](run func(e *env, opts P, args []string) error) func(*flag.FlagSet) func(*env, []string) error {
	return func(fs *flag.FlagSet) func(*env, []string) error {
		opts := P(new(O))
		opts.flags(fs)
		return func(e *env, args []string) error { return run(e, opts, args) }
	}
}

// env is what a command runs with.
type env struct {
	ctx    context.Context
	stdout io.Writer
	stderr io.Writer
}

// usageError makes Main print the command's usage and exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// exitError carries a specific exit status with an already-printed message.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// commands are the convlab subcommands, each defined in its cmd_NAME.go;
// "help" and "version" are answered by run itself.
var commands = []*command{
	cmdBench,
	cmdCompare,
	cmdConv,
	cmdDiff,
	cmdEvaluate,
	cmdGC,
	cmdPlan,
	cmdReport,
	cmdRun,
	cmdRuns,
	cmdSlurm,
	cmdSummary,
	cmdVerify,
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// Main runs convlab with the given arguments and returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	if !kernelsOK(stderr) {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, args, stdout, stderr)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printCommands(stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		return help(args[1:], stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, VersionString())
		fmt.Fprintf(stdout, "training code %s (part of every run's cache key)\n", grid.CodeVersion())
		return 0
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(stderr, "convlab %s: unknown command%s\nRun 'convlab help' for usage.\n", name, suggestCommand(name))
		return 2
	}
	fs := flag.NewFlagSet("convlab "+c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	runFn := c.setup(fs)
	fs.Usage = func() { printCommandHelp(stderr, c, fs) }
	positional, err := parseInterspersed(fs, args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	err = runFn(&env{ctx: ctx, stdout: stdout, stderr: stderr}, positional)
	var ue usageError
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "convlab %s: %s\n", c.name, ue.msg)
		fmt.Fprintf(stderr, "usage: convlab %s %s\nRun 'convlab help %s' for details.\n", c.name, c.usage, c.name)
		return 2
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "convlab %s: interrupted\n", c.name)
		return 130
	default:
		if msg := err.Error(); strings.Contains(msg, "\n") {
			// A list of errors, each naming its own file and position.
			fmt.Fprintf(stderr, "convlab %s:\n%s\n", c.name, msg)
		} else {
			fmt.Fprintf(stderr, "convlab %s: %s\n", c.name, msg)
		}
		return 1
	}
}

// parseInterspersed parses flags before, between and after the
// positional arguments, as users of git and DVC expect (run FILE -j 2);
// "--" ends the flags, so that everything after it is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

func help(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printCommands(stdout)
		return 0
	}
	switch args[0] {
	case "experiments":
		fmt.Fprint(stdout, spec.FormatHelp)
		return 0
	case "help":
		fmt.Fprint(stdout, "usage: convlab help [COMMAND|experiments]\n\nHelp lists the commands, documents one command and its flags, or, with\n\"experiments\", describes the format of experiment files.\n")
		return 0
	case "version":
		fmt.Fprint(stdout, "usage: convlab version\n\nVersion prints the convlab release and the git commit it was built from\n(\", modified\" when the working tree had uncommitted changes).\n")
		return 0
	}
	c := lookup(args[0])
	if c == nil {
		fmt.Fprintf(stderr, "convlab help %s: unknown command%s\n", args[0], suggestCommand(args[0]))
		return 2
	}
	fs := flag.NewFlagSet("convlab "+c.name, flag.ContinueOnError)
	c.setup(fs)
	printCommandHelp(stdout, c, fs)
	return 0
}

func printCommands(w io.Writer) {
	fmt.Fprint(w, "convlab trains and compares small convolutional networks declared in YAML.\n\n")
	fmt.Fprint(w, "Usage:\n\n\tconvlab <command> [flags] [arguments]\n\nThe commands are:\n\n")
	sorted := append([]*command(nil), commands...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	for _, c := range sorted {
		fmt.Fprintf(w, "\t%-10s %s\n", c.name, c.short)
	}
	fmt.Fprintf(w, "\t%-10s %s\n", "version", "print the convlab version and commit")
	fmt.Fprint(w, "\nUse \"convlab help <command>\" or \"convlab <command> -h\" for more about a command,\n")
	fmt.Fprint(w, "and \"convlab help experiments\" for the format of experiment files.\n")
}

func printCommandHelp(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: convlab %s %s\n\n%s\n", c.name, c.usage, strings.TrimSpace(c.long))
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprint(w, "\nFlags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}

func suggestCommand(name string) string {
	names := []string{"help", "version"}
	for _, c := range commands {
		names = append(names, c.name)
	}
	if best := yamlfile.Closest(name, names); best != "" {
		return yamlfile.DidYouMean(strconv.Quote(best))
	}
	return ""
}

// VersionString is the version line, with the commit when the binary was
// built from a git checkout.
func VersionString() string {
	commit, dirty := BuildCommit()
	s := "convlab " + Version
	if commit != "" {
		s += " (" + commit
		if dirty {
			s += ", modified"
		}
		s += ")"
	}
	return s
}

// BuildCommit reports the git commit the binary was built from, as far as
// the Go toolchain recorded it.
func BuildCommit() (commit string, dirty bool) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "", false
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	return commit, dirty
}
