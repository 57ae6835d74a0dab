package keycloaktest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadRealm(t *testing.T) {
	tests := []struct {
		name string
		path string
		want Realm
	}{
		{
			name: "test realm",
			path: RepoFile(t, "testdata/keycloak/test-realm.json"),
			want: Realm{
				Name: "acme-test", ClientID: "latchkey-web", ClientSecret: "latchkey-web-test-secret",
				Users: []User{
					{Username: "alice", Password: "alice-test", Email: "alice@example.com", Groups: []string{"backend"}},
					{Username: "bob", Password: "bob-test", Email: "bob@example.com", Groups: []string{"backend", "frontend"}},
					{Username: "carol", Password: "carol-test", Email: "carol@example.com"},
					{Username: "dave", Password: "dave-test", Groups: []string{"frontend"}},
				},
			},
		},
		{
			name: "demo realm",
			path: RepoFile(t, "testdata/keycloak/demo-realm.json"),
			want: Realm{
				Name: "demo", ClientID: "latchkey", ClientSecret: "latchkey-demo-secret",
				Users: []User{
					{Username: "ada", Password: "ada-demo", Email: "ada@example.com", Groups: []string{"engineering"}},
					{Username: "grace", Password: "grace-demo", Email: "grace@example.com", Groups: []string{"engineering", "research"}},
					{Username: "linus", Password: "linus-demo", Email: "linus@example.com"},
					{Username: "ken", Password: "ken-demo", Groups: []string{"research"}},
				},
			},
		},
		{
			name: "public and bearer-only clients are skipped, users without password too",
			path: writeFile(t, `{"realm":"r","clients":[
				{"clientId":"pub","publicClient":true},
				{"clientId":"bearer","bearerOnly":true,"secret":"x"},
				{"clientId":"conf","secret":"s3"}],
				"users":[{"username":"nopw"},{"username":"u","credentials":[{"type":"otp","value":"1"},{"type":"password","value":"p"}]}]}`),
			want: Realm{Name: "r", ClientID: "conf", ClientSecret: "s3", Users: []User{{Username: "u", Password: "p"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadRealm(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LoadRealm() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadRealmErrors(t *testing.T) {
	tests := []struct {
		name string
		path string
	}{
		{name: "missing file", path: filepath.Join(t.TempDir(), "nope.json")},
		{name: "not json", path: writeFile(t, `realm: x`)},
		{name: "no realm name", path: writeFile(t, `{"clients":[{"clientId":"c","secret":"s"}]}`)},
		{name: "only a public client", path: writeFile(t, `{"realm":"r","clients":[{"clientId":"c","publicClient":true}]}`)},
		{name: "confidential client without secret", path: writeFile(t, `{"realm":"r","clients":[{"clientId":"c"}]}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := LoadRealm(tt.path); err == nil {
				t.Error("LoadRealm() succeeded, want an error")
			}
		})
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "realm.json")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
