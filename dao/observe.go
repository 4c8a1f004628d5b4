package dao

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// startKey holds, on a statement, when GORM began running it.
const startKey = "callapp:started"

// observeQueries times every statement GORM runs and hands the duration to
// fn with its operation (create, query, update, delete, row, raw): the
// metrics endpoint's database latency. Times include GORM's own work
// around the driver call, which is what a handler waits for.
func observeQueries(db *gorm.DB, fn func(op string, took time.Duration)) error {
	start := func(tx *gorm.DB) { tx.InstanceSet(startKey, time.Now()) }
	done := func(op string) func(*gorm.DB) {
		return func(tx *gorm.DB) {
			if t, ok := tx.InstanceGet(startKey); ok {
				fn(op, time.Since(t.(time.Time)))
			}
		}
	}
	cb := db.Callback()
	err := errors.Join(
		cb.Create().Before("gorm:create").Register("callapp:start_create", start),
		cb.Create().After("gorm:create").Register("callapp:time_create", done("create")),
		cb.Query().Before("gorm:query").Register("callapp:start_query", start),
		cb.Query().After("gorm:query").Register("callapp:time_query", done("query")),
		cb.Update().Before("gorm:update").Register("callapp:start_update", start),
		cb.Update().After("gorm:update").Register("callapp:time_update", done("update")),
		cb.Delete().Before("gorm:delete").Register("callapp:start_delete", start),
		cb.Delete().After("gorm:delete").Register("callapp:time_delete", done("delete")),
		cb.Row().Before("gorm:row").Register("callapp:start_row", start),
		cb.Row().After("gorm:row").Register("callapp:time_row", done("row")),
		cb.Raw().Before("gorm:raw").Register("callapp:start_raw", start),
		cb.Raw().After("gorm:raw").Register("callapp:time_raw", done("raw")),
	)
	if err != nil {
		return fmt.Errorf("dao: query timing: %w", err)
	}
	return nil
}

// PoolStats reports the connection pool, for the metrics endpoint.
func (d *DAO) PoolStats() sql.DBStats { return d.sql.Stats() }
