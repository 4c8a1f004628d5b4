// Package daotest opens fresh databases for tests: a SQLite file per test,
// and a MySQL database per test when CALLAPP_TEST_MYSQL_DSN is set.
package daotest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-sql-driver/mysql"

	"callapp/dao"
)

// MySQLEnv names the variable holding a MySQL DSN (no database name needed)
// that tests may create and drop databases with.
const MySQLEnv = "CALLAPP_TEST_MYSQL_DSN"

// Drivers returns the drivers tests should run against: SQLite always, MySQL
// when configured. Under CI=true a missing MySQL DSN fails the test instead
// of silently narrowing coverage.
func Drivers(t testing.TB) []string {
	if os.Getenv(MySQLEnv) != "" {
		return []string{dao.DriverSQLite, dao.DriverMySQL}
	}
	Skip(t, "MySQL tests off: set "+MySQLEnv+"=root@tcp(127.0.0.1:3306)/ to run them")
	return []string{dao.DriverSQLite}
}

// Skip logs why a real-service test does not run; under CI=true it fails.
// It returns so that callers can go on with what they can still test.
func Skip(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true but %s", why)
	}
	t.Log(why)
}

// ForEachDriver runs fn as a subtest per driver, each with a fresh database.
func ForEachDriver(t *testing.T, fn func(t *testing.T, d *dao.DAO)) {
	for _, driver := range Drivers(t) {
		t.Run(driver, func(t *testing.T) { fn(t, Open(t, driver)) })
	}
}

// Open returns a DAO over a fresh, migrated database that is removed when
// the test ends.
func Open(t testing.TB, driver string) *dao.DAO {
	t.Helper()
	opts := Options(t, driver)
	d, err := dao.Open(opts)
	if err != nil {
		t.Fatalf("open %s: %v", driver, err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// Options creates a fresh empty database and returns options that open it.
func Options(t testing.TB, driver string) dao.Options {
	t.Helper()
	switch driver {
	case dao.DriverSQLite:
		return dao.Options{Driver: driver, DSN: filepath.Join(t.TempDir(), "test.db")}
	case dao.DriverMySQL:
		return dao.Options{Driver: driver, DSN: freshMySQL(t), MaxOpenConns: 10, MaxIdleConns: 5}
	}
	t.Fatalf("unknown driver %q", driver)
	return dao.Options{}
}

func freshMySQL(t testing.TB) string {
	t.Helper()
	cfg, err := mysql.ParseDSN(os.Getenv(MySQLEnv))
	if err != nil {
		t.Fatalf("%s: %v", MySQLEnv, err)
	}
	cfg.DBName = ""
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatalf("mysql: %v", err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "callapp_test_" + hex.EncodeToString(b) // hex only: safe as an identifier
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		t.Fatalf("mysql at %s: %v", cfg.Addr, err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("mysql", cfg.FormatDSN())
		if err == nil {
			_, _ = db.Exec("DROP DATABASE " + name)
			_ = db.Close()
		}
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}
