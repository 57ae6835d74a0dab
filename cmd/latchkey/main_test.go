package main

import (
	"os"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/keycloaktest"
)

const testRealmFile = "testdata/keycloak/test-realm.json"

func TestMain(m *testing.M) { os.Exit(keycloaktest.Main(m, testRealmFile)) }
