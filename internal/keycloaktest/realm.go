package keycloaktest

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// Realm is what tests need to know about a realm file: its name, its confidential client and the
// users that can sign in with a password.
type Realm struct {
	Name         string
	ClientID     string
	ClientSecret string
	Users        []User
}

// User is a realm file's user with a password credential.
type User struct {
	Username string
	Password string
	Email    string   // empty when the user has none
	Groups   []string // names without the leading "/"
}

// realmFile is the part of Keycloak's realm representation that LoadRealm reads.
type realmFile struct {
	Realm   string `json:"realm"`
	Clients []struct {
		ClientID     string `json:"clientId"`
		Secret       string `json:"secret"`
		PublicClient bool   `json:"publicClient"`
		BearerOnly   bool   `json:"bearerOnly"`
	} `json:"clients"`
	Users []struct {
		Username               string   `json:"username"`
		Email                  string   `json:"email"`
		Groups                 []string `json:"groups"`
		ServiceAccountClientID string   `json:"serviceAccountClientId"`
		Credentials            []struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"credentials"`
	} `json:"users"`
}

// LoadRealm reads a realm JSON file as imported by ImportRealm. The client is the first
// confidential one (neither public nor bearer-only, with a secret); service-account users and
// users without a password are left out.
func LoadRealm(path string) (Realm, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Realm{}, fmt.Errorf("read realm file: %w", err)
	}
	var f realmFile
	if err := json.Unmarshal(b, &f); err != nil {
		return Realm{}, fmt.Errorf("parse realm file %s: %w", path, err)
	}
	if f.Realm == "" {
		return Realm{}, fmt.Errorf("realm file %s has no realm name", path)
	}
	r := Realm{Name: f.Realm}
	for _, c := range f.Clients {
		if !c.PublicClient && !c.BearerOnly && c.Secret != "" {
			r.ClientID, r.ClientSecret = c.ClientID, c.Secret
			break
		}
	}
	if r.ClientID == "" {
		return Realm{}, fmt.Errorf("realm file %s has no confidential client with a secret", path)
	}
	for _, u := range f.Users {
		if u.ServiceAccountClientID != "" {
			continue
		}
		user := User{Username: u.Username, Email: u.Email}
		for _, c := range u.Credentials {
			if c.Type == "password" {
				user.Password = c.Value
				break
			}
		}
		if user.Password == "" {
			continue
		}
		for _, g := range u.Groups {
			user.Groups = append(user.Groups, strings.TrimPrefix(g, "/"))
		}
		r.Users = append(r.Users, user)
	}
	return r, nil
}
