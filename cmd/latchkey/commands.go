package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func newRootCommand(env map[string]string, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "latchkey",
		Short:         "Keycloak sign-in and plugin API keys for a self-hosted AI coding assistant",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	var client clientOptions
	root.PersistentFlags().StringVar(&client.server, "server", defaultServer, "latchkey server URL (env LATCHKEY_SERVER)")
	root.PersistentFlags().StringVar(&client.storage, "storage", "auto", "where secrets are kept: auto, keyring or file (env LATCHKEY_STORAGE)")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error { return applyEnv(cmd.Flags(), env) }
	addClientCommands(root, &client, env)
	root.AddCommand(newServeCommand(env), newVersionCommand())
	return root
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := version
			if info, ok := debug.ReadBuildInfo(); ok && v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
				v = info.Main.Version
			}
			fmt.Fprintln(cmd.OutOrStdout(), "latchkey", v)
			return nil
		},
	}
}

func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// envName is the environment variable behind a flag: --public-url is
// LATCHKEY_PUBLIC_URL.
func envName(flag string) string {
	return "LATCHKEY_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applyEnv fills every flag not given on the command line from its
// environment variable, so that a flag always beats the environment.
func applyEnv(flags *pflag.FlagSet, env map[string]string) error {
	var err error
	flags.VisitAll(func(f *pflag.Flag) {
		v, ok := env[envName(f.Name)]
		if f.Changed || !ok || err != nil {
			return
		}
		if serr := f.Value.Set(v); serr != nil {
			err = fmt.Errorf("%s=%q: %w", envName(f.Name), v, serr)
		}
	})
	return err
}
