package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/spf13/cobra"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
)

// Exit codes of latchkey doctor.
const (
	exitDoctorFailed      = 1 // a check failed
	exitServerUnreachable = 3
)

type doctorOptions struct {
	keycloakURL, realm, clientID, secretFile, publicURL, caFile string
	asJSON                                                      bool
}

func newDoctorCommand(o *clientOptions, env map[string]string) *cobra.Command {
	var d doctorOptions
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the Keycloak configuration step by step and say how to fix what is wrong",
		Long: `Check the Keycloak configuration against every step of the integration guide.

Without --keycloak-url the checks run where the server runs, on its saved
settings (needs the admin token: LATCHKEY_ADMIN_TOKEN, or the one latchkey setup
remembered). With --keycloak-url, --realm and --client-id they run here,
stand-alone; the client secret comes from --client-secret-file or
LATCHKEY_KEYCLOAK_CLIENT_SECRET, never from a flag value.

Exit status: 0 when every check passed (warnings allowed), 1 when one failed,
3 when the server cannot be reached.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			report, err := d.run(cmd.Context(), *o, env, cmd)
			if err != nil {
				return err
			}
			if d.asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(api.CheckReport{Status: report.Status(), Findings: report.Findings}); err != nil {
					return err
				}
			} else {
				printReport(cmd.OutOrStdout(), report)
			}
			if !report.OK() {
				return &exitError{code: exitDoctorFailed}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&d.keycloakURL, "keycloak-url", "", "check these settings here instead of the server's: Keycloak Server Url")
	f.StringVar(&d.realm, "realm", "", "with --keycloak-url: Realm Name")
	f.StringVar(&d.clientID, "client-id", "", "with --keycloak-url: Client ID")
	f.StringVar(&d.secretFile, "client-secret-file", "", "with --keycloak-url: file holding the client secret (or LATCHKEY_KEYCLOAK_CLIENT_SECRET)")
	f.StringVar(&d.publicURL, "public-url", "", "with --keycloak-url: latchkey's public URL (default: --server)")
	f.StringVar(&d.caFile, "ca-file", "", "with --keycloak-url: PEM file of extra CAs to trust for Keycloak")
	f.BoolVar(&d.asJSON, "json", false, "print JSON")
	return cmd
}

// run checks at the server, or here when settings are given.
func (d doctorOptions) run(ctx context.Context, o clientOptions, env map[string]string, cmd *cobra.Command) (auth.Report, error) {
	if d.keycloakURL == "" && d.realm == "" && d.clientID == "" {
		return d.atServer(ctx, o, env, cmd)
	}
	return d.standAlone(ctx, o, env)
}

func (d doctorOptions) atServer(ctx context.Context, o clientOptions, env map[string]string, cmd *cobra.Command) (auth.Report, error) {
	c, err := openClient(ctx, o, env, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
	if err != nil {
		return auth.Report{}, err
	}
	defer c.Close()
	token, err := c.session.AdminToken(ctx)
	if err != nil {
		return auth.Report{}, errors.New("no admin token for " + c.session.Server + ": set LATCHKEY_ADMIN_TOKEN, or run latchkey setup once")
	}
	report, err := c.session.API.CheckAuthSettings(ctx, token, nil)
	var se *api.StatusError
	switch {
	case errors.As(err, &se) && se.Status == http.StatusUnauthorized:
		return auth.Report{}, errors.New("the server refused the admin token")
	case errors.As(err, &se):
		return auth.Report{}, err
	case err != nil:
		return auth.Report{}, &exitError{code: exitServerUnreachable, err: fmt.Errorf("cannot reach %s: %w", c.session.Server, err)}
	}
	return auth.Report{Findings: report.Findings}, nil
}

func (d doctorOptions) standAlone(ctx context.Context, o clientOptions, env map[string]string) (auth.Report, error) {
	secret := env["LATCHKEY_KEYCLOAK_CLIENT_SECRET"]
	if d.secretFile != "" {
		s, err := readSecretFile(d.secretFile)
		if err != nil {
			return auth.Report{}, fmt.Errorf("--client-secret-file: %w", err)
		}
		secret = s
	}
	public := d.publicURL
	if public == "" {
		public = o.server
	}
	publicURL, err := auth.ParsePublicURL(public)
	if err != nil {
		return auth.Report{}, err
	}
	tlsConf, err := tlsConfig(d.caFile)
	if err != nil {
		return auth.Report{}, err
	}
	report, _ := auth.Diagnose(ctx, keycloakClient(tlsConf), auth.Target{
		Settings:  auth.Settings{Enabled: true, URL: d.keycloakURL, Realm: d.realm, ClientID: d.clientID, ClientSecret: auth.Secret(secret)},
		PublicURL: publicURL,
	})
	return report, nil
}

var statusMarks = map[auth.Status]string{auth.StatusOK: "✓", auth.StatusWarn: "!", auth.StatusFail: "✗", auth.StatusSkipped: "–"}

// printReport writes one line per check, with what is wrong, what Keycloak
// answered and the fix indented under each problem, then a summary.
func printReport(w io.Writer, r auth.Report) {
	counts := map[auth.Status]int{}
	for _, f := range r.Findings {
		counts[f.Status]++
		line := statusMarks[f.Status] + " " + f.Title
		if f.Status == auth.StatusSkipped {
			line += " (" + f.Tried + ")"
		}
		fmt.Fprintln(w, line)
		if f.Status != auth.StatusFail && f.Status != auth.StatusWarn {
			continue
		}
		for _, detail := range []struct{ label, text string }{
			{"", f.Problem}, {"Tried: ", f.Tried}, {"Keycloak answered: ", f.Answer}, {"Fix: ", f.Fix},
		} {
			if detail.text != "" {
				fmt.Fprintln(w, "    "+detail.label+detail.text)
			}
		}
	}
	var summary []string
	for _, s := range []struct {
		status auth.Status
		word   string
	}{{auth.StatusFail, "failed"}, {auth.StatusWarn, "warned"}, {auth.StatusOK, "passed"}, {auth.StatusSkipped, "not run"}} {
		if n := counts[s.status]; n > 0 {
			summary = append(summary, fmt.Sprintf("%d %s", n, s.word))
		}
	}
	fmt.Fprintf(w, "\n%d checks: %s.\n", len(r.Findings), strings.Join(summary, ", "))
}
