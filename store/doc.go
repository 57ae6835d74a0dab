// Package store is latchkey's persistence: the server's SQL database (SQLite
// by default) with embedded migrations, and the sealing of secrets at rest.
//
// Queries use $1, $2, … placeholders, which both SQLite (modernc binds $N
// to the N-th argument) and PostgreSQL accept.
package store
