package keycloaktest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// minJava is the oldest Java that Keycloak 26 runs on.
const minJava = 17

// javaHomeEnv overrides the JDK choice, e.g. to run the suite on JDK 17 instead of Temurin 25.
const javaHomeEnv = "LATCHKEY_KEYCLOAK_JAVA_HOME"

// temurinGlob is where Debian's Temurin 25 package installs; it is preferred because it is the
// newest JDK Keycloak supports and starts noticeably faster than 17.
const temurinGlob = "/usr/lib/jvm/temurin-25-jdk*"

// jdk is the java binary Keycloak runs on. home is empty when java came from PATH.
type jdk struct {
	home  string
	java  string
	major int
}

// findJDK picks the JDK: the override, else Temurin 25, else JAVA_HOME, else java on PATH.
func findJDK(ctx context.Context, getenv func(string) string) (jdk, error) {
	if home := getenv(javaHomeEnv); home != "" {
		return checkJDK(ctx, home, filepath.Join(home, "bin", "java"))
	}
	if homes, _ := filepath.Glob(temurinGlob); len(homes) > 0 {
		home := homes[len(homes)-1]
		if _, err := os.Stat(filepath.Join(home, "bin", "java")); err == nil {
			return checkJDK(ctx, home, filepath.Join(home, "bin", "java"))
		}
	}
	if home := getenv("JAVA_HOME"); home != "" {
		return checkJDK(ctx, home, filepath.Join(home, "bin", "java"))
	}
	java, err := exec.LookPath("java")
	if err != nil {
		return jdk{}, fmt.Errorf("find a JDK (set %s or JAVA_HOME, or put java on PATH): %w", javaHomeEnv, err)
	}
	return checkJDK(ctx, "", java)
}

func checkJDK(ctx context.Context, home, java string) (jdk, error) {
	// java -version writes to stderr.
	out, err := exec.CommandContext(ctx, java, "-version").CombinedOutput()
	if err != nil {
		if msg := strings.TrimSpace(string(out)); msg != "" {
			err = fmt.Errorf("%w: %s", err, msg)
		}
		return jdk{}, fmt.Errorf("run %s -version: %w", java, err)
	}
	major, err := parseJavaMajor(string(out))
	if err != nil {
		return jdk{}, fmt.Errorf("read version of %s: %w", java, err)
	}
	if major < minJava {
		return jdk{}, fmt.Errorf("%s is Java %d; keycloak needs %d or newer", java, major, minJava)
	}
	return jdk{home: home, java: java, major: major}, nil
}

// versionRE matches the quoted version in `java -version` output: "25", "17.0.16", "1.8.0_462".
var versionRE = regexp.MustCompile(`version "(\d+)(?:\.(\d+))?[^"]*"`)

// parseJavaMajor returns the feature release of a `java -version` output. Java 8 and older
// report "1.N", so there the second number is the major version.
func parseJavaMajor(out string) (int, error) {
	m := versionRE.FindStringSubmatch(out)
	if m == nil {
		return 0, errors.New("no version in java -version output")
	}
	major, err := strconv.Atoi(m[1])
	if err != nil {
		return 0, fmt.Errorf("parse java version %q: %w", m[1], err)
	}
	if major == 1 && m[2] != "" {
		return strconv.Atoi(m[2])
	}
	return major, nil
}
