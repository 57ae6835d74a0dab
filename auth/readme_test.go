package auth_test

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/internal/keycloaktest"
)

var update = flag.Bool("update", false, "rewrite the README's troubleshooting section from auth.Checks")

const (
	checksBegin = "<!-- checks:begin (generated from auth.Checks: go test ./auth -run TestREADMETroubleshooting -update) -->"
	checksEnd   = "<!-- checks:end -->"
)

// placeholder is a <…> part of a message; Markdown would take it for HTML.
var markdownPlaceholder = regexp.MustCompile(`<[^<>]+>`)

// troubleshooting renders auth.Checks as the README's troubleshooting list.
func troubleshooting() string {
	var b strings.Builder
	code := func(s string) string { return markdownPlaceholder.ReplaceAllString(s, "`$0`") }
	for i, c := range auth.Checks {
		fmt.Fprintf(&b, "%d. **%s** (`%s`, %s)  \n", i+1, c.Title, c.ID, map[auth.Status]string{auth.StatusFail: "fails", auth.StatusWarn: "warns"}[c.Severity])
		fmt.Fprintf(&b, "   %s  \n   *Fix:* %s\n", code(c.Problem), code(c.Fix))
	}
	return b.String()
}

// The README lists every check with its message and fix, exactly as the
// code has them.
func TestREADMETroubleshooting(t *testing.T) {
	path := keycloaktest.RepoFile(t, "README.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	start, end := strings.Index(readme, checksBegin), strings.Index(readme, checksEnd)
	if start < 0 || end < start {
		t.Fatalf("README.md has no %q … %q section", checksBegin, checksEnd)
	}
	want := checksBegin + "\n" + troubleshooting() + checksEnd
	got := readme[start : end+len(checksEnd)]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(readme[:start]+want+readme[end+len(checksEnd):]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's troubleshooting section is out of date with auth.Checks; run: go test ./auth -run TestREADMETroubleshooting -update")
}
