package server_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/internal/chromiumtest"
	"github.com/latchkeyhq/latchkey/internal/keycloaktest"
)

// These tests drive Debian's chromium through the real pages and the real
// Keycloak login page, and leave screenshots of every screen (wide, narrow
// and dark) in artifacts/screenshots for people to look at.

const (
	wideWidth, wideHeight     = 1280, 800
	narrowWidth, narrowHeight = 390, 844
	stepTimeout               = 30 * time.Second
)

// pageProbe runs in every document before the page's own scripts (CDP
// injects it, so the CSP does not apply to it) and records what a person
// would see in the console: script errors, failed resources, CSP violations.
const pageProbe = `(() => {
  const errors = [];
  Object.defineProperty(window, "__latchkeyErrors", { value: errors });
  addEventListener("error", (e) => {
    const el = e.target;
    if (el && el !== window && (el.src || el.href)) errors.push("failed to load " + (el.src || el.href));
    else errors.push("script error: " + e.message + " at " + e.filename + ":" + e.lineno);
  }, true);
  addEventListener("unhandledrejection", (e) => errors.push("unhandled rejection: " + e.reason));
  addEventListener("securitypolicyviolation", (e) =>
    errors.push("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " in " + e.sourceFile + ":" + e.lineNumber));
})()`

// chrome is one headless chromium with one tab.
type chrome struct {
	t   *testing.T
	ctx context.Context
	dir string // where screenshots go
}

// newChrome starts chromium with a fresh profile, and the page probe in
// every document.
func newChrome(t *testing.T) *chrome {
	t.Helper()
	ctx := chromiumtest.New(t, wideWidth, wideHeight)
	c := &chrome{t: t, ctx: ctx, dir: filepath.Join(filepath.Dir(keycloaktest.RepoFile(t, "go.mod")), "artifacts", "screenshots")}
	t.Cleanup(func() {
		if t.Failed() {
			c.saveShot("FAILED-"+strings.ReplaceAll(t.Name(), "/", "-"), false)
		}
	})
	if _, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: pageProbe}); err != nil {
		t.Fatalf("install the page probe: %v", err)
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c.do(chromedp.EmulateViewport(wideWidth, wideHeight), colorScheme("light"))
	return c
}

func (c *chrome) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.ctx, stepTimeout)
}

func (c *chrome) do(actions ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	ctx, cancel := c.step()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		c.t.Fatalf("browser at %s: %v", c.location(), err)
	}
}

// navigate runs actions that load a new page (a link, a form) and returns
// the status of the document, after redirects.
func (c *chrome) navigate(actions ...chromedp.Action[chromedp.Void]) int {
	c.t.Helper()
	ctx, cancel := c.step()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		c.t.Fatalf("browser at %s: %v", c.location(), err)
	}
	return int(resp.Status)
}

func (c *chrome) open(url string) int {
	c.t.Helper()
	return c.navigate(chromedp.Navigate(url))
}

func run[T any](c *chrome, a chromedp.Action[T]) T {
	c.t.Helper()
	ctx, cancel := c.step()
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		c.t.Fatalf("browser at %s: %v", c.location(), err)
	}
	return v
}

func eval[T any](c *chrome, js string) T {
	c.t.Helper()
	return run(c, chromedp.Evaluate[T](js))
}

func (c *chrome) location() string {
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "(unknown: " + err.Error() + ")"
	}
	return loc
}

// text is what a person sees of the page, whitespace collapsed.
func (c *chrome) text() string {
	c.t.Helper()
	return strings.Join(strings.Fields(eval[string](c, `document.body.innerText`)), " ")
}

func (c *chrome) assertText(want ...string) {
	c.t.Helper()
	got := c.text()
	for _, w := range want {
		if !strings.Contains(got, w) {
			c.t.Errorf("%s does not show %q; it shows:\n%s", c.location(), w, got)
		}
	}
}

// assertNoPageErrors fails on anything the page probe caught on this page.
func (c *chrome) assertNoPageErrors() {
	c.t.Helper()
	if errs := eval[[]string](c, `window.__latchkeyErrors || ["page probe missing"]`); len(errs) > 0 {
		c.t.Errorf("%s: errors in the page:\n%s", c.location(), strings.Join(errs, "\n"))
	}
}

// labelled is the form control that a label names, as the browser sees it.
type labelled struct {
	ID, Type, Value string
	Checked         bool
}

// labelled returns the control of the label with exactly this text, so a
// test fails when a label is missing or attached to nothing.
func (c *chrome) labelled(text string) labelled {
	c.t.Helper()
	js := fmt.Sprintf(`(() => {
  const l = [...document.querySelectorAll("label")].find((l) => l.textContent.trim() === %q);
  const el = l && l.control;
  return el ? { ID: el.id, Type: el.type, Value: el.value, Checked: !!el.checked } : null;
})()`, text)
	v := eval[*labelled](c, js)
	if v == nil {
		c.t.Fatalf("%s has no form control labelled %q", c.location(), text)
		return labelled{}
	}
	return *v
}

// colorScheme makes the page see the person's light or dark preference.
func colorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{
				{Name: "prefers-color-scheme", Value: scheme},
				// No transitions, so that a screenshot never catches one
				// half-way (the stylesheet honours this setting).
				{Name: "prefers-reduced-motion", Value: "reduce"},
			},
		})
		return err
	})
}

// shots saves the page as it is now, wide, narrow (a phone) and wide in
// dark mode, and puts the tab back as it was: wide and light.
func (c *chrome) shots(name string) {
	c.t.Helper()
	c.saveShot(name, true)
	c.do(chromedp.EmulateViewport(narrowWidth, narrowHeight, chromedp.EmulateMobile),
		chromedp.Poll[chromedp.Void](fmt.Sprintf("document.documentElement.clientWidth === %d", narrowWidth)))
	c.assertFits()
	c.saveShot(name+"-narrow", true)
	c.do(chromedp.EmulateViewport(wideWidth, wideHeight), colorScheme("dark"),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.documentElement.clientWidth === %d && matchMedia("(prefers-color-scheme: dark)").matches`, wideWidth)))
	c.do(chromedp.Poll[chromedp.Void](`document.getAnimations().every((a) => a.playState !== "running")`))
	c.saveShot(name+"-dark", true)
	c.do(colorScheme("light"), chromedp.Poll[chromedp.Void](`matchMedia("(prefers-color-scheme: light)").matches`))
}

// assertFits fails when the page scrolls sideways: on a phone everything
// must fit the width.
func (c *chrome) assertFits() {
	c.t.Helper()
	if w := eval[int](c, `document.documentElement.scrollWidth`); w > narrowWidth {
		c.t.Errorf("%s is %dpx wide on a %dpx phone screen", c.location(), w, narrowWidth)
	}
}

// saveShot writes a PNG of the whole page (full) or of the viewport.
func (c *chrome) saveShot(name string, full bool) {
	c.t.Helper()
	shot := chromedp.CaptureScreenshot()
	if full {
		shot = chromedp.FullScreenshot(100)
	}
	ctx, cancel := c.step()
	defer cancel()
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		c.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(c.dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		c.t.Errorf("save screenshot: %v", err)
		return
	}
	c.t.Logf("screenshot %s", path)
}

var pluginKeyFormat = regexp.MustCompile(`^lk_[0-9A-Za-z]{38}$`)

func TestBrowserSignInProfileAndTeam(t *testing.T) {
	e := newEnv(t)
	e.configure(t)
	c := newChrome(t)
	bob := e.user(t, "bob")

	// The login page.
	if status := c.open(e.URL + "/"); status != http.StatusOK {
		t.Fatalf("login page: status %d", status)
	}
	c.do(chromedp.WaitVisible(chromedp.CSS("a.provider")))
	c.assertText("Continue to Keycloak", "Administrator login")
	c.assertNoPageErrors()
	c.shots("01-login")

	// Continue to Keycloak: its real login page.
	c.navigate(chromedp.Click(`//a[normalize-space()="Continue to Keycloak"]`))
	c.do(chromedp.WaitVisible(chromedp.ID("kc-form-login")))
	if loc := c.location(); !strings.HasPrefix(loc, e.KC.URL+"/realms/"+e.Realm.Name+"/") {
		t.Fatalf("Continue to Keycloak led to %s, not to the realm's login page", loc)
	}
	c.saveShot("02-keycloak-login", true)

	// Bob signs in there and comes back to his profile.
	c.do(chromedp.SendKeys(chromedp.ID("username"), bob.Username), chromedp.SendKeys(chromedp.ID("password"), bob.Password))
	if status := c.navigate(chromedp.Click(chromedp.ID("kc-login"))); status != http.StatusOK {
		t.Fatalf("after Keycloak's form: status %d at %s", status, c.location())
	}
	if loc := c.location(); loc != e.URL+"/" {
		t.Fatalf("after Keycloak's form the browser is at %s, want %s/", loc, e.URL)
	}
	c.do(chromedp.WaitVisible(chromedp.ID("plugin-key")))
	c.assertText("Welcome back!", "Account Login", "Plugin API Key", "Your team", "How to start", "Endpoint Address", e.URL)
	if got := run(c, chromedp.Text(chromedp.ID("account"))); got != bob.Email {
		t.Errorf("Account Login shows %q, want %q", got, bob.Email)
	}
	key := run(c, chromedp.Text(chromedp.ID("plugin-key")))
	if !pluginKeyFormat.MatchString(key) || auth.CheckPluginKey(key) != nil {
		t.Errorf("Plugin API Key shows %q, want a valid lk_ key", key)
	}
	team := c.labelled("Your team")
	if team.ID != "team" || team.Type != "select-one" || team.Value != "backend" {
		t.Errorf(`"Your team" labels %+v, want the select #team on backend`, team)
	}
	if got := eval[[]string](c, `[...document.querySelectorAll("#team option")].map((o) => o.value)`); !slices.Equal(got, bob.Groups) {
		t.Errorf("team choices %q, want bob's groups %q", got, bob.Groups)
	}
	c.assertNoPageErrors()
	c.shots("03-profile")

	// Picking the other team with the keyboard saves it at once (the script
	// submits the form on change).
	c.do(chromedp.Focus(chromedp.ID("team")))
	if status := c.navigate(chromedp.SendKeys(chromedp.ID("team"), kb.ArrowDown)); status != http.StatusOK {
		t.Fatalf("saving the team: status %d", status)
	}
	c.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
	c.assertText("Your team was saved.")
	if got := run(c, chromedp.Value(chromedp.ID("team"))); got != "frontend" {
		t.Errorf("after the pick the select shows %q, want frontend", got)
	}
	c.saveShot("04-profile-team-saved", true)
	c.open(e.URL + "/")
	c.do(chromedp.WaitVisible(chromedp.ID("team")))
	if got := run(c, chromedp.Value(chromedp.ID("team"))); got != "frontend" {
		t.Errorf("after a reload the select shows %q, want frontend", got)
	}
	if eval[bool](c, `document.querySelector(".flash") !== null`) {
		t.Error("the confirmation is still shown after a reload")
	}
	if me, err := e.API.Me(t.Context(), auth.Secret(key)); err != nil || me.Team != "frontend" {
		t.Errorf("the API sees team %q (err %v), want frontend", me.Team, err)
	}

	// Copy puts the key on the clipboard and says so.
	for _, perm := range []string{"clipboard-read", "clipboard-write"} {
		_, err := chromedp.CallBrowser(c.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: perm}, Setting: cdpbrowser.PermissionSettingGranted, Origin: e.URL,
		})
		if err != nil {
			t.Fatalf("grant %s: %v", perm, err)
		}
	}
	copyButton := `document.querySelector('button[data-copy="plugin-key"]')`
	if got := eval[string](c, copyButton+`.textContent.trim()`); got != "Copy" {
		t.Errorf("copy button says %q, want Copy", got)
	}
	c.do(chromedp.Click(chromedp.CSS(`button[data-copy="plugin-key"]`)))
	label := run(c, chromedp.Poll[string](copyButton+`.textContent.trim() !== "Copy" && `+copyButton+`.textContent.trim()`))
	if label != "Copied" {
		t.Errorf("after a click the copy button says %q, want Copied", label)
	}
	c.saveShot("05-profile-copied", false)
	if got := run(c, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise)); got != key {
		t.Errorf("clipboard holds %q, want the plugin key", got)
	}
	c.do(chromedp.Poll[chromedp.Void](copyButton + `.textContent.trim() === "Copy"`))
	c.assertNoPageErrors()

	// Keyboard: on a fresh page the first Tab reaches the skip link, which
	// then shows.
	c.open(e.URL + "/")
	c.do(chromedp.KeyEvent(kb.Tab))
	if got := eval[string](c, `document.activeElement.textContent + " " + (document.activeElement.getBoundingClientRect().left >= 0)`); got != "Skip to content true" {
		t.Errorf("the first Tab focuses %q, want the visible skip link", got)
	}
	c.saveShot("06-profile-skip-link", false)
}

func TestBrowserAdminSettingsAndUsers(t *testing.T) {
	e := newEnv(t)
	e.configure(t)
	c := newChrome(t)

	if status := c.open(e.URL + "/admin/login"); status != http.StatusOK {
		t.Fatalf("admin login page: status %d", status)
	}
	c.do(chromedp.WaitVisible(chromedp.ID("token")))
	c.assertText("Administrator login")
	if got := c.labelled("Admin token"); got.ID != "token" || got.Type != "password" {
		t.Errorf(`"Admin token" labels %+v, want the password field #token`, got)
	}
	c.assertNoPageErrors()
	c.shots("10-admin-login")

	// A wrong token is refused with the reason, next to the field.
	c.do(chromedp.SendKeys(chromedp.ID("token"), "lka_not-the-token"))
	if status := c.navigate(chromedp.Click(`//button[normalize-space()="Login"]`)); status != http.StatusUnauthorized {
		t.Errorf("wrong admin token: status %d, want 401", status)
	}
	c.do(chromedp.WaitVisible(chromedp.ID("token-error")))
	if !eval[bool](c, `document.getElementById("token").getAttribute("aria-describedby") === "token-error"`) {
		t.Error("the token field does not point to its error message")
	}
	c.saveShot("10-admin-login-error", true)

	c.do(chromedp.SendKeys(chromedp.ID("token"), e.AdminToken.Reveal()))
	if status := c.navigate(chromedp.Click(`//button[normalize-space()="Login"]`)); status != http.StatusOK {
		t.Fatalf("admin login: status %d", status)
	}

	// Settings → Auth, through the menu.
	c.do(chromedp.Click(`//summary[normalize-space()="Settings"]`), chromedp.WaitVisible(`//a[normalize-space()="Auth"]`))
	c.saveShot("11-admin-settings-menu", false)
	// Escape closes the menu, as it does any menu; a click opens it again.
	c.do(chromedp.KeyEvent(kb.Escape), chromedp.Poll[chromedp.Void](`!document.querySelector("details.menu").open`),
		chromedp.Click(`//summary[normalize-space()="Settings"]`), chromedp.WaitVisible(`//a[normalize-space()="Auth"]`))
	if status := c.navigate(chromedp.Click(`//a[normalize-space()="Auth"]`)); status != http.StatusOK {
		t.Fatalf("Auth page: status %d", status)
	}
	c.do(chromedp.WaitVisible(chromedp.ID("client_secret")))
	c.assertText("Auth", "Keycloak", "Use Keycloak", "Server Url", "Realm Name", "Client ID", "Client Secret Key", "Save Settings")
	fields := []struct {
		label string
		want  labelled
	}{
		{"Use Keycloak", labelled{Type: "checkbox", Value: "on", Checked: true}},
		{"Server Url", labelled{ID: "url", Type: "url", Value: e.KC.URL}},
		{"Realm Name", labelled{ID: "realm", Type: "text", Value: e.Realm.Name}},
		{"Client ID", labelled{ID: "client_id", Type: "text", Value: e.Realm.ClientID}},
		{"Client Secret Key", labelled{ID: "client_secret", Type: "password", Value: ""}},
	}
	for _, f := range fields {
		got := c.labelled(f.label)
		if f.want.ID == "" {
			got.ID = ""
		}
		if got != f.want {
			t.Errorf("%q labels %+v, want %+v", f.label, got, f.want)
		}
	}
	c.assertSecretHidden(e.Realm.ClientSecret)
	c.assertNoPageErrors()
	c.shots("12-admin-auth")

	// A wrong secret: nothing is saved, the findings show above the form.
	const wrong = "not-the-client-secret"
	c.do(chromedp.SendKeys(chromedp.ID("client_secret"), wrong))
	if status := c.navigate(chromedp.Click(`//button[normalize-space()="Save Settings"]`)); status != http.StatusUnprocessableEntity {
		t.Errorf("saving a wrong secret: status %d, want 422", status)
	}
	c.do(chromedp.WaitVisible(chromedp.CSS(".findings")))
	c.assertText("Nothing was saved")
	if n := eval[int](c, `document.querySelectorAll(".finding.status-fail").length`); n == 0 {
		t.Error("no failed check is shown for a wrong secret")
	}
	if !eval[bool](c, `!!(document.querySelector(".findings").compareDocumentPosition(document.querySelector("form.settings")) & Node.DOCUMENT_POSITION_FOLLOWING)`) {
		t.Error("the findings are not above the form")
	}
	if got := c.labelled("Client Secret Key"); got.Value != "" {
		t.Errorf("after a failed save the secret field holds %q, want it empty", got.Value)
	}
	c.assertSecretHidden(e.Realm.ClientSecret, wrong)
	c.assertNoPageErrors()
	c.shots("13-admin-auth-findings")

	// Users: every user of the realm is listed.
	if status := c.navigate(chromedp.Click(`//nav//a[normalize-space()="Users"]`)); status != http.StatusOK {
		t.Fatalf("Users page: status %d", status)
	}
	c.do(chromedp.WaitVisible(chromedp.CSS("table.users")))
	c.assertText("Users", "Account", "Team", "Edit")
	for _, u := range e.Realm.Users {
		account := u.Email
		if account == "" {
			account = u.Username
		}
		row := fmt.Sprintf(`document.querySelector('tr[data-user=%q]')`, u.Username)
		if got := eval[string](c, row+` ? `+row+`.innerText : ""`); !strings.Contains(got, account) {
			t.Errorf("Users page row of %s: %q, want it to show %s", u.Username, got, account)
		}
	}
	c.assertNoPageErrors()
	c.shots("14-admin-users")
}

// assertSecretHidden fails when the page source holds any of the secrets.
func (c *chrome) assertSecretHidden(secrets ...string) {
	c.t.Helper()
	src := eval[string](c, `document.documentElement.outerHTML`)
	for _, s := range secrets {
		if strings.Contains(src, s) {
			c.t.Errorf("%s shows the secret %q", c.location(), s)
		}
	}
}

func TestBrowserErrorPage(t *testing.T) {
	e := newEnv(t)
	e.configure(t)
	c := newChrome(t)

	if status := c.open(e.URL + "/login/keycloak/callback?state=forged&code=x"); status != http.StatusBadRequest {
		t.Errorf("forged callback: status %d, want 400", status)
	}
	c.do(chromedp.WaitVisible(chromedp.CSS("a.button")))
	c.assertText("This sign-in has expired", "Sign in again")
	c.assertNoPageErrors()
	c.shots("20-error")

	// The way back starts a new sign-in at Keycloak.
	c.navigate(chromedp.Click(`//a[normalize-space()="Sign in again"]`))
	c.do(chromedp.WaitVisible(chromedp.ID("kc-form-login")))

	// A server nobody has connected to Keycloak yet says so on its login page.
	fresh := newEnv(t)
	c.open(fresh.URL + "/")
	c.do(chromedp.WaitVisible(chromedp.CSS(".notice")))
	c.assertText("Sign-in is not set up yet", "Administrator login")
	c.assertNoPageErrors()
	c.shots("21-login-not-set-up")
}
