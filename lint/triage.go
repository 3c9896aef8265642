package lint

import (
	"context"
	"slices"
)

// IDs of the findings `oomlint triage` reports about containers the cluster
// OOM-killed (documented in rules/triage.go). Lint never reports them.
const (
	OOMKilledID    = "OOM950"
	ClusterDriftID = "OOM951"
	NotInRepoID    = "OOM952"
)

// Repository is a repository as lint sees it: every object rendered and
// decoded, with its origin and resolved workload facts.
type Repository struct {
	Objects  []*Object
	Problems []Finding // render and parse problems met on the way, sorted
	Summary  Summary   // files, objects and units; no finding counts
}

// LoadRepository discovers, renders, decodes and resolves cfg.Paths as Run does,
// keeping every object's tree, and checks nothing: for commands that trace
// something other than a rule back to the repository (oomlint triage).
func LoadRepository(ctx context.Context, cfg Config) (*Repository, error) {
	cfg.normalize()
	cfg.Buffered = true
	l, err := load(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	r := &Repository{Objects: l.objects, Summary: Summary{Files: l.sum.Files, Objects: l.sum.Objects, Units: l.sum.Units}}
	for _, d := range l.decs {
		r.Problems = append(r.Problems, d.problems...)
	}
	slices.SortFunc(r.Problems, compareFindings)
	return r, nil
}
