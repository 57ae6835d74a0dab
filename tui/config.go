package tui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Config is the terminal client's non-secret state, one file in the XDG
// config directory. Secrets live in the keyring (or its fallback file), never
// here.
type Config struct {
	path    string
	Servers map[string]ServerState `json:"servers"`
}

// ServerState is what the client remembers about one server between runs:
// enough to draw the header without a network call, and the access token's
// expiry so that it is refreshed before it runs out.
type ServerState struct {
	Account       string    `json:"account,omitempty"`
	Team          string    `json:"team,omitempty"`
	AccessExpires time.Time `json:"access_expires,omitempty"`
}

// LoadConfig reads the config file at path; a missing file is an empty config.
func LoadConfig(path string) (*Config, error) {
	c := &Config{path: path, Servers: map[string]ServerState{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	if err := json.Unmarshal(b, c); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if c.Servers == nil {
		c.Servers = map[string]ServerState{}
	}
	return c, nil
}

// Server returns the remembered state of server.
func (c *Config) Server(server string) ServerState { return c.Servers[server] }

// SetServer records the state of server and writes the file.
func (c *Config) SetServer(server string, s ServerState) error {
	c.Servers[server] = s
	return c.save()
}

// ForgetServer drops what is remembered about server and writes the file.
func (c *Config) ForgetServer(server string) error {
	delete(c.Servers, server)
	return c.save()
}

// save writes the file atomically: a temporary file renamed into place.
func (c *Config) save() error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o700); err != nil {
		return fmt.Errorf("create config directory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.path), ".config-*.json")
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(append(b, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	if err := os.Rename(tmp.Name(), c.path); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	return nil
}
