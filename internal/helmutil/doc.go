// Package helmutil holds the parts of helm's chartutil and releaseutil
// packages (helm.sh/helm/v3 v3.22.0) that rendering a chart needs: values
// coalescing, dependency processing, schema validation, capabilities and
// manifest sorting, without the Kubernetes client libraries those packages
// import only to list the default API versions.
//
// The code is copied from helm (Apache License 2.0; each file names its
// source and what was changed) and behaves the same; the tests compare it
// with helm's own packages.
package helmutil
