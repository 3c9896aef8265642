/*
Copyright The Helm Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Copied from helm.sh/helm/v3 v3.22.0 pkg/chartutil/errors.go (Apache
// License 2.0); changes: ErrNoTable and ErrNoValue are renamed NoTableError
// and NoValueError (the project's error naming), ErrInvalidChartName is left
// out (only chart creation uses it).

package helmutil

import (
	"fmt"
)

// NoTableError indicates that a chart does not have a matching table.
type NoTableError struct {
	Key string
}

func (e NoTableError) Error() string { return fmt.Sprintf("%q is not a table", e.Key) }

// NoValueError indicates that Values does not contain a key with a value
type NoValueError struct {
	Key string
}

func (e NoValueError) Error() string { return fmt.Sprintf("%q is not a value", e.Key) }
