package dao_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"callapp/dao"
	"callapp/dao/daotest"
	"callapp/models"
)

// forEachDriverRaw is daotest.ForEachDriver plus a plain database/sql
// handle on the same database, to look at what is really stored.
func forEachDriverRaw(t *testing.T, fn func(t *testing.T, d *dao.DAO, raw *sql.DB)) {
	for _, driver := range daotest.Drivers(t) {
		t.Run(driver, func(t *testing.T) {
			opts := daotest.Options(t, driver)
			d, err := dao.Open(opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = d.Close() })
			dsn := opts.DSN
			if driver == dao.DriverSQLite {
				dsn += "?_pragma=busy_timeout(5000)"
			}
			raw, err := sql.Open(driver, dsn) // both drivers are registered by dao's imports
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = raw.Close() })
			fn(t, d, raw)
		})
	}
}

func TestSessionRoundTrip(t *testing.T) {
	t.Parallel()
	daotest.ForEachDriver(t, func(t *testing.T, d *dao.DAO) {
		ctx := context.Background()
		alice := mustCreate(t, accounts(t, d), "alice")
		s := dao.NewSessions(d, "key-1", time.Hour)
		before := time.Now()
		token, expires, err := s.Create(ctx, alice.ID, "203.0.113.7", "Firefox")
		if err != nil {
			t.Fatal(err)
		}
		if len(token) < 43 {
			t.Errorf("token %q is shorter than 256 bits", token)
		}
		if want := before.Add(time.Hour); expires.Before(want.Add(-time.Second)) || expires.After(want.Add(time.Minute)) {
			t.Errorf("expires %v, want about %v", expires, want)
		}
		u, err := s.User(ctx, token)
		if err != nil || u.ID != alice.ID || u.Username != "alice" {
			t.Fatalf("User(token) = %+v, %v; want alice", u, err)
		}
		// The lookup reads every column of the row, as GORM does.
		stored, err := accounts(t, d).CheckPassword(ctx, "alice", testPassword)
		if err != nil {
			t.Fatal(err)
		}
		if u.UsernameKey != stored.UsernameKey || string(u.PasswordHash) != string(stored.PasswordHash) ||
			u.Role != stored.Role || u.Disabled || !u.CreatedAt.Equal(stored.CreatedAt) ||
			u.LastLoginAt == nil || stored.LastLoginAt == nil || !u.LastLoginAt.Equal(*stored.LastLoginAt) {
			t.Errorf("User(token) = %+v\nstored      %+v", u, stored)
		}
		other, _, _ := s.Create(ctx, alice.ID, "203.0.113.7", "Firefox")
		if other == token {
			t.Error("two sessions got the same token")
		}
		for _, bad := range []string{"", "garbage", token + "x", token[:len(token)-1], strings.ToUpper(token)} {
			if bad == token {
				continue
			}
			if _, err := s.User(ctx, bad); !errors.Is(err, dao.ErrNotFound) {
				t.Errorf("User(%q) = %v, want ErrNotFound", bad, err)
			}
		}
	})
}

func TestSessionOfAnotherKeyDoesNotValidate(t *testing.T) {
	t.Parallel()
	daotest.ForEachDriver(t, func(t *testing.T, d *dao.DAO) {
		ctx := context.Background()
		alice := mustCreate(t, accounts(t, d), "alice")
		token, _, err := dao.NewSessions(d, "key-1", time.Hour).Create(ctx, alice.ID, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dao.NewSessions(d, "key-2", time.Hour).User(ctx, token); !errors.Is(err, dao.ErrNotFound) {
			t.Errorf("a session made under another key validated: %v", err)
		}
	})
}

func TestSessionStoresOnlyKeyedHash(t *testing.T) {
	t.Parallel()
	forEachDriverRaw(t, func(t *testing.T, d *dao.DAO, raw *sql.DB) {
		ctx := context.Background()
		alice := mustCreate(t, accounts(t, d), "alice")
		token, _, err := dao.NewSessions(d, "key-1", time.Hour).Create(ctx, alice.ID, "203.0.113.7", "Firefox")
		if err != nil {
			t.Fatal(err)
		}
		rows, err := raw.Query("SELECT * FROM sessions")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		n := 0
		for rows.Next() {
			n++
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			row := map[string]string{}
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				row[cols[i]] = fmt.Sprint(v)
				if strings.Contains(row[cols[i]], token) {
					t.Errorf("column %s stores the cookie token", cols[i])
				}
			}
			m := hmac.New(sha256.New, []byte("key-1"))
			m.Write([]byte(token))
			if want := hex.EncodeToString(m.Sum(nil)); row["token_hash"] != want {
				t.Errorf("token_hash %q, want HMAC-SHA256(key, token) %q", row["token_hash"], want)
			}
			if row["ip"] != "203.0.113.7" || row["user_agent"] != "Firefox" {
				t.Errorf("row %v", row)
			}
		}
		if err := rows.Err(); err != nil || n != 1 {
			t.Errorf("%d session rows (%v), want 1", n, err)
		}
	})
}

func TestSessionUserAgentTruncated(t *testing.T) {
	t.Parallel()
	forEachDriverRaw(t, func(t *testing.T, d *dao.DAO, raw *sql.DB) {
		ctx := context.Background()
		alice := mustCreate(t, accounts(t, d), "alice")
		s := dao.NewSessions(d, "key-1", time.Hour)
		long := "ab" + strings.Repeat("ö", 200) // 402 bytes; byte 255 falls inside an ö
		token, _, err := s.Create(ctx, alice.ID, "2001:db8::1", long)
		if err != nil {
			t.Fatalf("Create with a long user agent: %v", err)
		}
		var ua string
		if err := raw.QueryRow("SELECT user_agent FROM sessions").Scan(&ua); err != nil {
			t.Fatal(err)
		}
		if len(ua) > 255 || len(ua) < 250 || !utf8.ValidString(ua) || !strings.HasPrefix(long, ua) {
			t.Errorf("stored user agent of %d bytes (valid UTF-8: %v), want a prefix of at most 255 bytes", len(ua), utf8.ValidString(ua))
		}
		if _, err := s.User(ctx, token); err != nil {
			t.Error(err)
		}
	})
}

// TestSessionClientStringsMadeValid: a user agent or address with bytes
// that are not UTF-8 (which MySQL refuses) is stored with U+FFFD in their
// place, cut to its column, and the session works.
func TestSessionClientStringsMadeValid(t *testing.T) {
	t.Parallel()
	forEachDriverRaw(t, func(t *testing.T, d *dao.DAO, raw *sql.DB) {
		ctx := context.Background()
		alice := mustCreate(t, accounts(t, d), "alice")
		s := dao.NewSessions(d, "key-1", time.Hour)
		agent := "Mozilla/5.0 \xff\xfe\xc3(" + strings.Repeat("\x80", 400) + ")"
		token, _, err := s.Create(ctx, alice.ID, "192.0.2.1\xff", agent)
		if err != nil {
			t.Fatalf("Create with invalid UTF-8: %v", err)
		}
		var ip, ua string
		if err := raw.QueryRow("SELECT ip, user_agent FROM sessions").Scan(&ip, &ua); err != nil {
			t.Fatal(err)
		}
		if ip != "192.0.2.1\uFFFD" || !strings.HasPrefix(ua, "Mozilla/5.0 \uFFFD") || !utf8.ValidString(ua) || len(ua) > 255 {
			t.Errorf("stored ip %q, user agent %.40q (%d bytes)", ip, ua, len(ua))
		}
		if _, err := s.User(ctx, token); err != nil {
			t.Error(err)
		}
	})
}

// TestAccountOnlyWithItsFirstSession: registration stores the account and
// its first session together; when the session cannot be stored, no
// account is left behind and the name stays free.
func TestAccountOnlyWithItsFirstSession(t *testing.T) {
	t.Parallel()
	forEachDriverRaw(t, func(t *testing.T, d *dao.DAO, raw *sql.DB) {
		ctx := context.Background()
		a, s := accounts(t, d), dao.NewSessions(d, "key-1", time.Hour)
		token, first := s.Prepare("192.0.2.1", "test")
		alice, err := a.CreateUserWithSession(ctx, models.Credentials{Username: "alice", Password: testPassword}, first)
		if err != nil {
			t.Fatal(err)
		}
		if u, err := s.User(ctx, token); err != nil || u.ID != alice.ID || u.LastLoginAt == nil {
			t.Errorf("session of the new account: %+v, %v", u, err)
		}
		_, clash := s.Prepare("192.0.2.2", "test")
		clash.TokenHash = first.TokenHash // the session insert fails on the unique hash
		if _, err := a.CreateUserWithSession(ctx, models.Credentials{Username: "bob", Password: testPassword}, clash); err == nil {
			t.Fatal("bob registered though his session was not stored")
		}
		var n int
		if err := raw.QueryRow("SELECT COUNT(*) FROM users WHERE username = 'bob'").Scan(&n); err != nil || n != 0 {
			t.Errorf("%d rows for bob (%v), want none", n, err)
		}
		_, retry := s.Prepare("192.0.2.2", "test")
		if _, err := a.CreateUserWithSession(ctx, models.Credentials{Username: "bob", Password: testPassword}, retry); err != nil {
			t.Errorf("bob again: %v", err)
		}
	})
}

func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	forEachDriverRaw(t, func(t *testing.T, d *dao.DAO, raw *sql.DB) {
		ctx := context.Background()
		alice := mustCreate(t, accounts(t, d), "alice")
		short := dao.NewSessions(d, "key-1", 250*time.Millisecond)
		long := dao.NewSessions(d, "key-1", time.Hour)
		brief, expires, err := short.Create(ctx, alice.ID, "", "")
		if err != nil {
			t.Fatal(err)
		}
		lasting, _, _ := long.Create(ctx, alice.ID, "", "")
		if _, err := short.User(ctx, brief); err != nil {
			t.Fatalf("fresh short session: %v", err)
		}
		if n, err := short.DeleteExpired(ctx); err != nil || n != 0 {
			t.Errorf("DeleteExpired before expiry = %d, %v; want 0", n, err)
		}
		time.Sleep(time.Until(expires) + 50*time.Millisecond)
		if _, err := short.User(ctx, brief); !errors.Is(err, dao.ErrNotFound) {
			t.Errorf("expired session: %v, want ErrNotFound", err)
		}
		if n, err := short.DeleteExpired(ctx); err != nil || n != 1 {
			t.Errorf("DeleteExpired = %d, %v; want 1", n, err)
		}
		var left int
		if err := raw.QueryRow("SELECT COUNT(*) FROM sessions").Scan(&left); err != nil || left != 1 {
			t.Errorf("%d session rows left (%v), want only the unexpired one", left, err)
		}
		if u, err := long.User(ctx, lasting); err != nil || u.ID != alice.ID {
			t.Errorf("unexpired session after DeleteExpired: %v, %v", u, err)
		}
		if n, _ := short.DeleteExpired(ctx); n != 0 {
			t.Errorf("second DeleteExpired removed %d", n)
		}
	})
}

func TestSessionDelete(t *testing.T) {
	t.Parallel()
	daotest.ForEachDriver(t, func(t *testing.T, d *dao.DAO) {
		ctx := context.Background()
		alice := mustCreate(t, accounts(t, d), "alice")
		s := dao.NewSessions(d, "key-1", time.Hour)
		phone, _, _ := s.Create(ctx, alice.ID, "", "phone")
		laptop, _, _ := s.Create(ctx, alice.ID, "", "laptop")
		if err := s.Delete(ctx, phone); err != nil {
			t.Fatal(err)
		}
		if _, err := s.User(ctx, phone); !errors.Is(err, dao.ErrNotFound) {
			t.Errorf("deleted session: %v, want ErrNotFound", err)
		}
		if _, err := s.User(ctx, laptop); err != nil {
			t.Errorf("logging out on the phone ended the laptop session: %v", err)
		}
		if err := s.Delete(ctx, "no such token"); err != nil {
			t.Errorf("Delete(unknown) = %v, want nil", err)
		}
	})
}

// TestSessionLookupNamesTheSession: the lookup names the row and expiry a
// websocket opened with the token is ended by.
func TestSessionLookupNamesTheSession(t *testing.T) {
	t.Parallel()
	forEachDriverRaw(t, func(t *testing.T, d *dao.DAO, raw *sql.DB) {
		ctx := context.Background()
		alice := mustCreate(t, accounts(t, d), "alice")
		s := dao.NewSessions(d, "key-1", time.Hour)
		phone, phoneExpires, _ := s.Create(ctx, alice.ID, "", "phone")
		laptop, _, _ := s.Create(ctx, alice.ID, "", "laptop")
		u, ref, err := s.Lookup(ctx, phone)
		if err != nil || u.ID != alice.ID {
			t.Fatalf("Lookup(phone) = %v, %v", u, err)
		}
		var id uint64
		if err := raw.QueryRow("SELECT id FROM sessions WHERE user_agent = 'phone'").Scan(&id); err != nil || ref.ID != id {
			t.Errorf("Lookup names session %d, the phone's row is %d (%v)", ref.ID, id, err)
		}
		if d := ref.ExpiresAt.Sub(phoneExpires).Abs(); d > time.Second {
			t.Errorf("Lookup expiry %v, Create said %v", ref.ExpiresAt, phoneExpires)
		}
		if _, other, _ := s.Lookup(ctx, laptop); other.ID == ref.ID || other.ID == 0 {
			t.Errorf("laptop session %d, phone %d: want two distinct rows", other.ID, ref.ID)
		}
		if _, none, err := s.Lookup(ctx, "garbage"); !errors.Is(err, dao.ErrNotFound) || none != (models.SessionRef{}) {
			t.Errorf("Lookup(garbage) = %+v, %v", none, err)
		}
	})
}
