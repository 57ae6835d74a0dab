package store_test

import (
	"bytes"
	"crypto/rand"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/latchkeyhq/latchkey/store"
)

// t0 is where every fake clock starts: a whole second, because the store
// keeps Unix seconds.
var t0 = time.Unix(1_750_000_000, 0)

// fakeClock is a controllable store clock, safe for concurrent reads.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

func newSealer(t *testing.T) *store.Sealer {
	t.Helper()
	key := make([]byte, store.KeySize)
	rand.Read(key)
	s, err := store.NewSealer(key)
	if err != nil {
		t.Fatalf("NewSealer: %v", err)
	}
	return s
}

// fixture is a store on a fresh SQLite file, plus a raw handle on the same
// file for checking what is really stored.
type fixture struct {
	st    *store.Store
	path  string
	clock *fakeClock
	raw   *sql.DB
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "latchkey.db")
	clock := newClock()
	return &fixture{st: openStore(t, path, newSealer(t), clock), path: path, clock: clock, raw: openRaw(t, path)}
}

func openStore(t *testing.T, path string, sealer *store.Sealer, clock *fakeClock) *store.Store {
	t.Helper()
	st, err := store.OpenSQLite(t.Context(), path, sealer, store.WithClock(clock.Now))
	if err != nil {
		t.Fatalf("OpenSQLite(%q): %v", path, err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return st
}

func openRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatalf("open raw %s: %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// rawInt reads one integer (or NULL) from the raw database.
func rawInt(t *testing.T, db *sql.DB, query string, args ...any) sql.NullInt64 {
	t.Helper()
	var v sql.NullInt64
	if err := db.QueryRowContext(t.Context(), query, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return v
}

func rawCount(t *testing.T, db *sql.DB, table string) int64 {
	t.Helper()
	return rawInt(t, db, "SELECT count(*) FROM "+table).Int64
}

// columnsContaining scans every row and column of table and returns the
// names of the columns whose value contains needle. It fails the test when the
// table is empty, so that a check for "not stored in clear" cannot pass
// because nothing was stored at all.
func columnsContaining(t *testing.T, db *sql.DB, table string, needle []byte) []string {
	t.Helper()
	if len(needle) == 0 {
		t.Fatal("columnsContaining: empty needle")
	}
	rows, err := db.QueryContext(t.Context(), "SELECT * FROM "+table)
	if err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatalf("columns of %s: %v", table, err)
	}
	var found []string
	n := 0
	for rows.Next() {
		n++
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("scan %s: %v", table, err)
		}
		for i, v := range vals {
			var b []byte
			switch v := v.(type) {
			case []byte:
				b = v
			case string:
				b = []byte(v)
			case nil:
			default:
				b = fmt.Append(nil, v)
			}
			if bytes.Contains(b, needle) && !slices.Contains(found, cols[i]) {
				found = append(found, cols[i])
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	if n == 0 {
		t.Fatalf("table %s is empty", table)
	}
	return found
}

func isSQLiteFile(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("database file: %v", err)
	}
	if !bytes.HasPrefix(data, []byte("SQLite format 3\x00")) {
		t.Fatalf("%s is not an SQLite database (starts %q)", path, data[:min(len(data), 16)])
	}
}

type migrationRow struct {
	Version   int
	AppliedAt int64
}

func migrationRows(t *testing.T, db *sql.DB) []migrationRow {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT version, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	defer rows.Close()
	var out []migrationRow
	for rows.Next() {
		var r migrationRow
		if err := rows.Scan(&r.Version, &r.AppliedAt); err != nil {
			t.Fatalf("scan schema_migrations: %v", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	return out
}

func TestOpenSQLiteMigrates(t *testing.T) {
	files, err := filepath.Glob("migrations/sqlite/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migration files: %v", err)
	}
	latest := len(files) // migrations are numbered 1, 2, … without gaps
	path := filepath.Join(t.TempDir(), "latchkey.db")
	sealer := newSealer(t)
	clock := newClock()

	first, err := store.OpenSQLite(t.Context(), path, sealer, store.WithClock(clock.Now))
	if err != nil {
		t.Fatalf("first OpenSQLite: %v", err)
	}
	v, err := first.SchemaVersion(t.Context())
	if err != nil || v != latest {
		t.Errorf("fresh SchemaVersion = %d, %v; want %d, nil", v, err, latest)
	}
	if err := first.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
	if err := first.CreateAdminTokenHash(t.Context(), []byte("hash-before-reopen")); err != nil {
		t.Fatalf("CreateAdminTokenHash: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	isSQLiteFile(t, path)

	clock.Advance(time.Hour)
	second := openStore(t, path, sealer, clock)
	v, err = second.SchemaVersion(t.Context())
	if err != nil || v != latest {
		t.Errorf("reopened SchemaVersion = %d, %v; want %d, nil", v, err, latest)
	}
	// Nothing applied twice: one row each, still stamped with the first
	// open's time, and the data written before survives.
	var want []migrationRow
	for i := range latest {
		want = append(want, migrationRow{Version: i + 1, AppliedAt: t0.Unix()})
	}
	if diff := cmp.Diff(want, migrationRows(t, openRaw(t, path))); diff != "" {
		t.Errorf("schema_migrations (-want +got):\n%s", diff)
	}
	h, err := second.AdminTokenHash(t.Context())
	if err != nil || string(h) != "hash-before-reopen" {
		t.Errorf("AdminTokenHash after reopen = %q, %v; want the stored hash", h, err)
	}
}

// The data directory comes from the operator (--data-dir); any name a file
// system allows must put the database exactly there.
func TestOpenSQLitePathCharacters(t *testing.T) {
	tests := []struct{ name, dir string }{
		{"plain", "data"},
		{"space", "my data"},
		{"hash", "replica#1"},
		{"percent", "100%41"},
		{"question mark", "what?now"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := t.TempDir()
			dir := filepath.Join(base, tt.dir)
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "latchkey.db")
			st, err := store.OpenSQLite(t.Context(), path, newSealer(t))
			if err != nil {
				t.Fatalf("OpenSQLite(%q): %v", path, err)
			}
			if err := st.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			isSQLiteFile(t, path)
			entries, err := os.ReadDir(base)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if diff := cmp.Diff([]string{tt.dir}, names); diff != "" {
				t.Errorf("files beside the data dir (-want +got):\n%s", diff)
			}
		})
	}
}
