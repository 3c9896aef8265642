package main

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/urfave/cli/v2"
)

// noFiles stands for an empty --only-files list, which keeps no findings.
const noFiles = "\x00"

// normalizeArgs rewrites the command line into the shape urfave/cli parses:
//
//   - `oomlint [flags] PATH...` becomes `oomlint lint [flags] -- PATH...`, so
//     a path named like a command (`oomlint -- rules`) is still a path;
//   - flags after paths move in front of them (`oomlint ./k8s --format json`
//     works as in kube-linter and conftest), since the standard flag parser
//     stops at the first argument; everything after "--" stays an argument;
//   - a bare `--only-files` takes every later non-flag argument before "--"
//     as its value (`--only-files a b` is `--only-files=a --only-files=b`),
//     so a pre-commit hook can append file names;
//   - `help [COMMAND]` becomes `[COMMAND] --help`.
//
// app must be set up (app.Setup) so its commands are known.
func normalizeArgs(app *cli.App, args []string) ([]string, error) {
	if len(args) < 2 {
		return args, nil // `oomlint`: lint "."
	}
	prog, first := args[0], args[1]
	switch first {
	case "-h", "--help", "-help":
		return args, nil
	case "help":
		switch rest := args[2:]; {
		case len(rest) == 0:
			return []string{prog, "--help"}, nil
		case len(rest) == 1 && app.Command(rest[0]) != nil:
			return []string{prog, rest[0], "--help"}, nil
		default:
			return nil, fmt.Errorf("help: unknown command %q (commands: %s)", strings.Join(rest, " "), strings.Join(commandNames(app), ", "))
		}
	}
	cmd, rest := app.Command(first), args[2:]
	if cmd == nil {
		cmd, rest = app.Command("lint"), args[1:]
	}
	// `charts pull [flags] PATH...`: the flags are the subcommand's.
	names := []string{cmd.Name}
	for len(rest) > 0 {
		sub := subcommand(cmd, rest[0])
		if sub == nil {
			break
		}
		cmd, rest, names = sub, rest[1:], append(names, sub.Name)
	}

	takesValue := map[string]bool{}
	for _, f := range cmd.Flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			takesValue[n] = !isBool
		}
	}
	var flags, positional []string
	onlyFiles, onlyFilesGiven := false, false
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--":
			positional = append(positional, rest[i+1:]...)
			i = len(rest)
		case (a == "--only-files" || a == "-only-files") && cmd.Name == "lint":
			// Every later argument that is not a flag is a file to keep
			// findings for, as pre-commit appends them: `oomlint lint
			// --only-files [hook args] FILE...`.
			onlyFiles = true
		case len(a) > 1 && a[0] == '-':
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if strings.Contains(name, "=") || !takesValue[name] {
				continue
			}
			if i+1 == len(rest) {
				return nil, fmt.Errorf("flag needs an argument: %s", a)
			}
			i++
			flags = append(flags, rest[i])
		case onlyFiles:
			flags = append(flags, "--only-files="+a)
			onlyFilesGiven = true
		default:
			positional = append(positional, a)
		}
	}
	if onlyFiles && !onlyFilesGiven {
		// No files (a commit that only deletes): keep no findings.
		flags = append(flags, "--only-files="+noFiles)
	}
	out := append(append([]string{prog}, names...), flags...)
	if len(positional) > 0 {
		out = append(out, "--")
	}
	return append(out, positional...), nil
}

// subcommand is cmd's subcommand called name, or nil.
func subcommand(cmd *cli.Command, name string) *cli.Command {
	for _, sub := range cmd.Subcommands {
		if sub.HasName(name) {
			return sub
		}
	}
	return nil
}

func commandNames(app *cli.App) []string {
	var names []string
	for _, c := range app.VisibleCommands() {
		names = append(names, c.Name)
	}
	return names
}

// onUsageError turns the flag package's messages into oomlint's: one line,
// flags spelled as the user types them (--format, not -format).
func onUsageError(_ *cli.Context, err error, _ bool) error {
	msg := strings.Replace(err.Error(), "flag provided but not defined", "unknown flag", 1)
	msg = singleDashFlag.ReplaceAllString(msg, "$1--$2")
	if strings.HasPrefix(msg, "unknown flag") {
		msg += " (see oomlint --help)"
	}
	return errors.New(msg)
}

// singleDashFlag matches a long flag name the flag package printed with one dash.
var singleDashFlag = regexp.MustCompile(`(^|\s)-([a-z][a-z0-9]*(?:-[a-z0-9]+)+|[a-z][a-z0-9]+)\b`)
