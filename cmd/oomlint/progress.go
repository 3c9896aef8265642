package main

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/report"
)

// progressReporter shows a run's progress on standard error: a bar on a
// terminal, or with --verbose one line per rendered unit and a total.
type progressReporter struct {
	w       io.Writer
	verbose bool
	bar     *progressbar.ProgressBar
	start   time.Time

	plainFiles int
	plainTime  time.Duration
}

func newProgressReporter(w io.Writer, verbose, terminal bool) *progressReporter {
	p := &progressReporter{w: w, verbose: verbose, start: time.Now()}
	if terminal && !verbose {
		p.bar = progressbar.NewOptions(-1,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("linting"),
			progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetRenderBlankState(false),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

// report is lint.Config.Progress: the engine calls it once per file or unit.
func (p *progressReporter) report(ev lint.Progress) {
	if p.bar != nil {
		p.bar.ChangeMax(ev.Total)
		_ = p.bar.Set(ev.Done)
	}
	if !p.verbose {
		return
	}
	if ev.Note != "" {
		fmt.Fprintf(p.w, "note: %s\n", report.Printable(ev.Note)) // names from the repository
		return
	}
	if ev.Kind == lint.PlainUnit {
		p.plainFiles++
		p.plainTime += ev.Elapsed
		return
	}
	fmt.Fprintf(p.w, "rendered %s %s in %s (%d objects)\n", ev.Kind, report.Printable(ev.Name), round(ev.Elapsed), ev.Objects)
}

// finish clears the bar and, with --verbose, prints the totals.
func (p *progressReporter) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
	if p.verbose {
		fmt.Fprintf(p.w, "decoded %d plain files in %s of work\n", p.plainFiles, round(p.plainTime))
		fmt.Fprintf(p.w, "linted in %s\n", round(time.Since(p.start)))
	}
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
