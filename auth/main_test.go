package auth_test

import (
	"os"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/keycloaktest"
)

// diagnoseRealm has one client configured as the guide says and one
// misconfigured client per client-side check of Diagnose.
const diagnoseRealm = "testdata/keycloak/diagnose-realm.json"

func TestMain(m *testing.M) { os.Exit(keycloaktest.Main(m, diagnoseRealm)) }
