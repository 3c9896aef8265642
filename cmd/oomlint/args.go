package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/oomlint/oomlint/internal/lazyre"
)

// noFiles stands for an empty --only-files list, which keeps no findings.
const noFiles = "\x00"

// stdinArg is the path argument that stands for standard input.
const stdinArg = "-"

// normalizeArgs rewrites the command line into the shape urfave/cli parses:
//
//   - `oomlint [flags] PATH...` becomes `oomlint lint [flags] -- PATH...`, so
//     a path named like a command (`oomlint -- rules`) is still a path;
//   - flags before a command move after it and its subcommands
//     (`oomlint -f json rules` is `oomlint rules -f json`); one the command
//     does not have is an error, never a path;
//   - flags after paths move in front of them (`oomlint ./k8s --format json`
//     works as in kube-linter and conftest), since the standard flag parser
//     stops at the first argument; everything after "--" stays an argument;
//   - a bare `--only-files` takes every later file argument before "--" as
//     its value (`--only-files a b` is `--only-files=a --only-files=b`), so
//     a pre-commit hook can append file names; a directory (or "-", standard
//     input) after it is a path to lint;
//   - `help [COMMAND]` becomes `[COMMAND] --help`.
//
// app must be set up (app.Setup) so its commands are known.
func normalizeArgs(app *cli.App, args []string) ([]string, error) {
	if len(args) < 2 {
		return args, nil // `oomlint`: lint "."
	}
	prog := args[0]
	rest, err := hoistCommand(app, args[1:])
	if err != nil {
		return nil, err
	}
	first, all := rest[0], rest
	switch first {
	case "-h", "--help", "-help":
		return []string{prog, "--help"}, nil // the arguments after it do not matter
	case "help":
		switch rest := rest[1:]; {
		case len(rest) == 0:
			return []string{prog, "--help"}, nil
		case len(rest) == 1 && app.Command(rest[0]) != nil:
			return []string{prog, rest[0], "--help"}, nil
		default:
			return nil, fmt.Errorf("help: unknown command %q (commands: %s)", strings.Join(rest, " "), strings.Join(commandNames(app), ", "))
		}
	}
	cmd, rest := app.Command(first), rest[1:]
	if cmd == nil {
		cmd, rest = app.Command("lint"), all
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
	flags, positional, err := splitArgs(cmd, rest)
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(flags, isHelpFlag) {
		return append(append([]string{prog}, names...), "--help"), nil
	}
	out := append(append([]string{prog}, names...), flags...)
	if len(positional) > 0 {
		out = append(out, "--")
	}
	return append(out, positional...), nil
}

// splitArgs separates a command's flags (with their values) from its
// positional arguments.
func splitArgs(cmd *cli.Command, rest []string) (flags, positional []string, err error) {
	takesValue := flagValues(cmd.Flags)
	onlyFiles, onlyFilesGiven := false, false
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--":
			positional = append(positional, rest[i+1:]...)
			i = len(rest)
		case (a == "--only-files" || a == "-only-files") && cmd.Name == "lint":
			// Every later file argument that is not a flag is a file to
			// keep findings for, as pre-commit appends them: `oomlint lint
			// --only-files [hook args] FILE...`.
			onlyFiles = true
		case len(a) > 1 && a[0] == '-':
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if strings.Contains(name, "=") || !takesValue[name] {
				continue
			}
			if i+1 == len(rest) {
				return nil, nil, fmt.Errorf("flag needs an argument: %s", a)
			}
			i++
			flags = append(flags, rest[i])
		case onlyFiles && !isDirOrStdin(a):
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
	return flags, positional, nil
}

// isDirOrStdin reports whether a is "-" or an existing directory: a path to
// lint even after --only-files, which only takes files.
func isDirOrStdin(a string) bool {
	if a == stdinArg {
		return true
	}
	st, err := os.Stat(a) //nolint:gosec // G703: a stat of a path the user gave on the command line, nothing is read
	return err == nil && st.IsDir()
}

func isHelpFlag(a string) bool { return a == "-h" || a == "--help" || a == "-help" }

// flagValues maps every name of flags to whether it takes a value.
func flagValues(flags []cli.Flag) map[string]bool {
	takesValue := map[string]bool{}
	for _, f := range flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			takesValue[n] = !isBool
		}
	}
	return takesValue
}

// hoistCommand moves flags given before a command after it and its
// subcommands: `-f json rules` becomes `rules -f json`. The flags are read
// as lint's, which the command line starts with; when the first argument
// after them is no command, args are unchanged (lint's flags and paths). A
// hoisted flag the command does not have is an error.
func hoistCommand(app *cli.App, args []string) ([]string, error) {
	takesValue := flagValues(app.Flags)
	k := 0
	for k < len(args) {
		a := args[k]
		if a == "--" || len(a) < 2 || a[0] != '-' {
			break
		}
		if a == "--only-files" || a == "-only-files" {
			return args, nil // the files after it are never a command
		}
		name := strings.TrimLeft(a, "-")
		k++
		if !strings.Contains(name, "=") && takesValue[name] {
			k++
		}
	}
	if k == 0 || k >= len(args) || args[k] == "--" {
		return args, nil
	}
	if args[k] == "help" {
		return args[k:], nil // `--format json help rules`: the help asked for
	}
	cmd := app.Command(args[k])
	if cmd == nil {
		return args, nil
	}
	j := k + 1
	for j < len(args) {
		sub := subcommand(cmd, args[j])
		if sub == nil {
			break
		}
		cmd, j = sub, j+1
	}
	known := flagValues(cmd.Flags)
	full := strings.Join(args[k:j], " ")
	for i := 0; i < k; i++ {
		a := args[i]
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if _, ok := known[name]; !ok && !isHelpFlag(a) {
			return nil, fmt.Errorf("%s: unknown flag %s (flags go after the command; see oomlint %s --help)", full, a, full)
		}
		if !strings.Contains(a, "=") && takesValue[name] {
			i++ // its value
		}
	}
	out := append([]string{}, args[k:j]...)
	out = append(out, args[:k]...)
	return append(out, args[j:]...), nil
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
	msg = singleDashFlag().ReplaceAllString(msg, "$1--$2")
	if strings.HasPrefix(msg, "unknown flag") {
		msg += " (see oomlint --help)"
	}
	return errors.New(msg)
}

// singleDashFlag matches a long flag name the flag package printed with one dash.
var singleDashFlag = lazyre.New(`(^|\s)-([a-z][a-z0-9]*(?:-[a-z0-9]+)+|[a-z][a-z0-9]+)\b`)
