// Package assets embeds the web pages' templates, stylesheet, script and
// images, so the binary serves them with no network access at all.
package assets

import (
	"embed"
	"io/fs"
)

//go:embed templates/*.html
var templates embed.FS

//go:embed static
var static embed.FS

// Templates holds the HTML templates; layout.html wraps every page.
func Templates() fs.FS { return templates }

// Static holds the files served under /assets/.
func Static() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}
