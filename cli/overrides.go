package cli

import (
	"flag"
	"strings"

	"convlab/runner/spec"
)

// overrideList collects the -S and -m flags of a command, in order.
type overrideList struct {
	list  *[]spec.Override
	multi bool
}

func (l overrideList) String() string {
	if l.list == nil {
		return ""
	}
	return strings.Join(spec.Args(*l.list), " ")
}

func (l overrideList) Set(text string) error {
	o, err := spec.ParseOverride(text, l.multi)
	if err != nil {
		return err
	}
	*l.list = append(*l.list, o)
	return nil
}

// overrideFlags declares -S and -m on fs; the overrides, in the order
// given, are in the returned slice once fs is parsed.
func overrideFlags(fs *flag.FlagSet) *[]spec.Override {
	list := new([]spec.Override)
	fs.Var(overrideList{list: list}, "S", "set `KEY=VALUE` in every experiment file, as if written there: epochs=10 (a default), sweeps.NAME.set.epochs=5, n=[100,200] (an axis of every sweep); repeatable")
	fs.Var(overrideList{list: list, multi: true}, "m", "multirun: make `KEY=A,B,...` an axis of every sweep, e.g. -m n=5000,10000; repeatable")
	return list
}

// overrideArgs turns overrides back into command-line arguments, for the
// commands convlab writes (Slurm scripts).
func overrideArgs(ovs []spec.Override) []string {
	var out []string
	for _, o := range ovs {
		flag, text, _ := strings.Cut(o.Arg, " ")
		out = append(out, flag, text)
	}
	return out
}
