// Package dao is the storage layer over *gorm.DB, a file per aggregate
// (users, sessions, calls, chat): the DAO, and the Accounts and Sessions
// stores made from it, which hold only the handles they use. Errors are
// wrapped as "dao: ...: %w"; a missing row is always ErrNotFound.
package dao

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/glebarez/sqlite"
	mysqldriver "github.com/go-sql-driver/mysql"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"callapp/models"
)

// Errors callers can test with errors.Is.
var (
	ErrNotFound  = errors.New("dao: not found")
	ErrDuplicate = errors.New("dao: already exists")
	// ErrUnavailable means the database did not answer in time.
	ErrUnavailable = errors.New("dao: database unavailable")
)

// Drivers the DAO can open.
const (
	DriverSQLite = "sqlite"
	DriverMySQL  = "mysql"
)

// Options says which database to open and how large its pool is.
type Options struct {
	Driver       string // DriverSQLite or DriverMySQL
	DSN          string // file path for SQLite, go-sql-driver DSN for MySQL
	MaxOpenConns int
	MaxIdleConns int
	// Timeout bounds every call the DAO makes, unless the caller's context
	// ends sooner, and is the MySQL DSN's dial, read and write timeout
	// where the DSN sets none; 0 sets no bound.
	Timeout time.Duration
	Logger  *slog.Logger
	// OnQuery, if set, is told how long each statement took, by operation
	// (create, query, update, delete, row, raw).
	OnQuery func(op string, took time.Duration)
}

// DAO is the application's view of the users, calls and chat, and the
// open database that the Accounts and Sessions stores are made from.
type DAO struct {
	db      timedDB
	sql     *sql.DB                             // the pool under db
	onQuery func(op string, took time.Duration) // Options.OnQuery, for the Sessions store
}

// Open connects, sets the pool for the dialect and migrates the schema.
func Open(opts Options) (*DAO, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	dialector, err := dialect(opts)
	if err != nil {
		return nil, err
	}
	db, err := gorm.Open(dialector, &gorm.Config{
		TranslateError: true, // duplicate keys become gorm.ErrDuplicatedKey on both dialects
		Logger:         logger.Discard,
		NowFunc:        func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) },
	})
	if err != nil {
		return nil, fmt.Errorf("dao: open %s: %w", opts.Driver, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("dao: pool: %w", err)
	}
	setPool(sqlDB, opts)
	if err := prepare(db, opts); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return &DAO{db: timedDB{gorm: db, timeout: opts.Timeout}, sql: sqlDB, onQuery: opts.OnQuery}, nil
}

// setPool sizes the connection pool for the dialect.
func setPool(sqlDB *sql.DB, opts Options) {
	switch opts.Driver {
	case DriverSQLite:
		// SQLite allows one writer at a time; a single connection serializes
		// writes in Go instead of failing them with SQLITE_BUSY, and keeps
		// the read-then-write transactions (first user becomes admin) atomic.
		sqlDB.SetMaxOpenConns(1)
	case DriverMySQL:
		sqlDB.SetMaxOpenConns(opts.MaxOpenConns)
		sqlDB.SetMaxIdleConns(opts.MaxIdleConns)
		// MySQL closes idle connections after wait_timeout (8 h by default,
		// often far less behind proxies); recycle ours well before that.
		sqlDB.SetConnMaxLifetime(3 * time.Minute)
	}
}

// prepare times the statements when asked to, then migrates the schema.
func prepare(db *gorm.DB, opts Options) error {
	if opts.OnQuery != nil {
		if err := observeQueries(db, opts.OnQuery); err != nil {
			return err
		}
	}
	return migrate(db, opts.Logger)
}

func dialect(opts Options) (gorm.Dialector, error) {
	switch opts.Driver {
	case DriverSQLite:
		if dir := filepath.Dir(opts.DSN); dir != "." {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("dao: data folder: %w", err)
			}
		}
		// WAL lets readers run beside the writer; busy_timeout covers other
		// processes (backups, the load tool) touching the same file.
		return sqlite.Open(opts.DSN + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)"), nil
	case DriverMySQL:
		cfg, err := mysqldriver.ParseDSN(opts.DSN)
		if err != nil {
			return nil, fmt.Errorf("dao: mysql dsn: %w", err)
		}
		// Times are stored and read as UTC; utf8mb4 keeps emoji in chat.
		cfg.ParseTime, cfg.Loc = true, time.UTC
		if cfg.Params == nil {
			cfg.Params = map[string]string{}
		}
		if _, ok := cfg.Params["charset"]; !ok {
			cfg.Params["charset"] = "utf8mb4"
		}
		setNetTimeouts(cfg, opts.Timeout)
		return mysql.Open(cfg.FormatDSN()), nil
	default:
		return nil, fmt.Errorf("dao: unknown driver %q (want %q or %q)", opts.Driver, DriverSQLite, DriverMySQL)
	}
}

// setNetTimeouts gives the connections the operator's DSN left without
// timeouts a bound on dialing and on each read and write, so that a
// database that accepts connections and never answers fails the calls
// that carry no deadline of their own (migrations, pool housekeeping).
func setNetTimeouts(cfg *mysqldriver.Config, timeout time.Duration) {
	if timeout <= 0 {
		return
	}
	for _, t := range []*time.Duration{&cfg.Timeout, &cfg.ReadTimeout, &cfg.WriteTimeout} {
		if *t == 0 {
			*t = timeout
		}
	}
}

func migrate(db *gorm.DB, log *slog.Logger) error {
	if isMySQL(db) {
		// Binary collation: uniqueness is decided by our own normalized
		// keys; a _ci collation would also fold accents ("jorg" = "jörg").
		db = db.Set("gorm:table_options", "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin")
	}
	if err := db.AutoMigrate(migrations...); err != nil {
		return fmt.Errorf("dao: migrate: %w", err)
	}
	return rekeyUsers(context.Background(), db, log)
}

// migrations lists every table the app owns.
var migrations = []any{&models.User{}, &models.Session{}, &models.Call{}, &models.ChatMessage{}}

// isMySQL reports whether db speaks MySQL's dialect, whose locking and
// table options SQLite lacks.
func isMySQL(db *gorm.DB) bool { return db.Dialector.Name() == DriverMySQL }

// Ping checks that the database answers, for /healthz.
func (d *DAO) Ping(ctx context.Context) error {
	ctx, cancel := d.db.bound(ctx)
	defer cancel()
	return wrap("ping", d.sql.PingContext(ctx))
}

// Close releases the connection pool.
func (d *DAO) Close() error { return d.sql.Close() }

// timedDB is the GORM handle with the deadline every call through it
// gets, which each store holds.
type timedDB struct {
	gorm    *gorm.DB
	timeout time.Duration // Options.Timeout; 0 sets no bound
}

// bound gives one call the store's deadline, or the caller's if sooner: a
// database that stops answering makes requests fail, not hang.
func (t timedDB) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if t.timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, t.timeout)
}

// conn is the database for one call, bound as bound does; done releases
// the deadline's timer once the call returned.
func (t timedDB) conn(ctx context.Context) (db *gorm.DB, done context.CancelFunc) {
	ctx, done = t.bound(ctx)
	return t.gorm.WithContext(ctx), done
}

// retryDeadlock runs a transaction again when MySQL chose it as the victim
// of a deadlock (error 1213), which InnoDB expects clients to do.
func retryDeadlock(tx func() error) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var myErr *mysqldriver.MySQLError
		if err = tx(); !errors.As(err, &myErr) || myErr.Number != 1213 {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond)
	}
	return err
}

// wrap gives every storage error the same shape and maps GORM's sentinels
// to ours.
func wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound), errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("dao: %s: %w", op, ErrNotFound)
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return fmt.Errorf("dao: %s: %w", op, ErrDuplicate)
	case timedOut(err):
		return fmt.Errorf("dao: %s: %w: %w", op, ErrUnavailable, err)
	default:
		return fmt.Errorf("dao: %s: %w", op, err)
	}
}

// timedOut reports whether err is a deadline that ran out, a network
// timeout, or a connection the driver gave up on (its read timeout may
// fire just before the deadline): the database did not answer, as opposed
// to refusing the call.
func timedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) ||
		errors.Is(err, mysqldriver.ErrInvalidConn) || errors.Is(err, driver.ErrBadConn)
}
