package dao_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"callapp/dao"
	"callapp/dao/daotest"
	"callapp/dao/password"
	"callapp/models"
)

const testPassword = "correct horse battery"

// accounts returns the account store over d with a fast hasher.
func accounts(t *testing.T, d *dao.DAO, admins ...string) *dao.Accounts {
	t.Helper()
	h, err := password.New(bcrypt.MinCost, 4)
	if err != nil {
		t.Fatal(err)
	}
	return dao.NewAccounts(d, h, admins)
}

func mustCreate(t *testing.T, a *dao.Accounts, username string) *models.User {
	t.Helper()
	u, err := a.CreateUser(context.Background(), models.Credentials{Username: username, Password: testPassword})
	if err != nil {
		t.Fatalf("CreateUser(%q): %v", username, err)
	}
	return u
}

func TestCreateUserFirstIsAdmin(t *testing.T) {
	t.Parallel()
	daotest.ForEachDriver(t, func(t *testing.T, d *dao.DAO) {
		a := accounts(t, d)
		first, second := mustCreate(t, a, "alice"), mustCreate(t, a, "bob")
		if !first.IsAdmin() || second.IsAdmin() {
			t.Errorf("roles: first %s, second %s; want admin, user", first.Role, second.Role)
		}
		if first.ID == 0 || second.ID == first.ID || first.CreatedAt.IsZero() {
			t.Errorf("ids %d, %d, created %v", first.ID, second.ID, first.CreatedAt)
		}
		stored, err := d.UserByID(context.Background(), first.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Username != "alice" || stored.Role != models.RoleAdmin || stored.Disabled || stored.LastLoginAt != nil {
			t.Errorf("stored %+v", stored)
		}
		if bcrypt.CompareHashAndPassword(stored.PasswordHash, []byte(testPassword)) != nil {
			t.Error("stored hash does not verify the password")
		}
	})
}

func TestCreateUserConfiguredAdmins(t *testing.T) {
	t.Parallel()
	daotest.ForEachDriver(t, func(t *testing.T, d *dao.DAO) {
		a := accounts(t, d, "Alice", "JÖRG")
		for _, tt := range []struct {
			name string
			role string
		}{
			{"bob", models.RoleUser}, // first, but not listed
			{"alice", models.RoleAdmin},
			{"jörg", models.RoleAdmin},
			{"carol", models.RoleUser},
		} {
			if u := mustCreate(t, a, tt.name); u.Role != tt.role {
				t.Errorf("%s has role %s, want %s", tt.name, u.Role, tt.role)
			}
		}
	})
}

// register creates n users named prefix0..prefixN-1 at once and returns
// the errors.
func register(a *dao.Accounts, prefix string, n int) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			cred := models.Credentials{Username: fmt.Sprintf("%s%d", prefix, i), Password: testPassword}
			_, errs[i] = a.CreateUser(context.Background(), cred)
		})
	}
	wg.Wait()
	return errs
}

func countAdmins(t *testing.T, d *dao.DAO) int {
	t.Helper()
	page, err := d.ListUsers(context.Background(), "", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	admins := 0
	for _, u := range page.Users {
		if u.Role == models.RoleAdmin {
			admins++
		}
	}
	return admins
}

func TestCreateUserConcurrentFirstRegistrations(t *testing.T) {
	t.Parallel()
	daotest.ForEachDriver(t, func(t *testing.T, d *dao.DAO) {
		a := accounts(t, d)
		for i, err := range register(a, "first", 8) {
			if err != nil {
				t.Errorf("first%d: %v", i, err)
			}
		}
		if n := countAdmins(t, d); n != 1 {
			t.Errorf("%d admins among concurrent first registrations, want exactly 1", n)
		}
	})
}

func TestCreateUserConcurrentRegistrations(t *testing.T) {
	t.Parallel()
	daotest.ForEachDriver(t, func(t *testing.T, d *dao.DAO) {
		a := accounts(t, d)
		mustCreate(t, a, "admin")
		for i, err := range register(a, "later", 8) {
			if err != nil {
				t.Errorf("later%d: %v", i, err)
			}
		}
		if n := countAdmins(t, d); n != 1 {
			t.Errorf("%d admins after concurrent registrations, want only the first user", n)
		}
	})
}

func TestCreateUserDuplicate(t *testing.T) {
	t.Parallel()
	daotest.ForEachDriver(t, func(t *testing.T, d *dao.DAO) {
		a := accounts(t, d)
		mustCreate(t, a, "jörg")
		mustCreate(t, a, "straße")
		ctx := context.Background()
		for _, name := range []string{"jörg", "JÖRG", "Jörg", "jo\u0308rg", "STRASSE", "strasse"} {
			_, err := a.CreateUser(ctx, models.Credentials{Username: name, Password: "another password"})
			if !errors.Is(err, dao.ErrDuplicate) {
				t.Errorf("CreateUser(%q) = %v, want ErrDuplicate", name, err)
			}
		}
		if _, err := a.CreateUser(ctx, models.Credentials{Username: "jorg", Password: testPassword}); err != nil {
			t.Errorf("jorg (no umlaut) is a different name: %v", err)
		}
		page, _ := d.ListUsers(ctx, "", 0, 10)
		if page.Total != 3 {
			t.Errorf("%d users, want 3", page.Total)
		}
		// The original owner still logs in with the original password.
		if _, err := a.CheckPassword(ctx, "JÖRG", testPassword); err != nil {
			t.Errorf("jörg cannot log in after the duplicate attempts: %v", err)
		}
	})
}

func TestSQLLookingUsernamesStoredVerbatim(t *testing.T) {
	t.Parallel()
	names := []string{
		"bob'; DROP TABLE users;--",
		`x" OR "1"="1`,
		"robert'); --",
		`back\slash'`,
		"a%b", "_", "%",
	}
	daotest.ForEachDriver(t, func(t *testing.T, d *dao.DAO) {
		a := accounts(t, d)
		ctx := context.Background()
		for _, name := range names {
			mustCreate(t, a, name)
		}
		for _, name := range names {
			u, err := d.UserByName(ctx, name)
			if err != nil || u.Username != name {
				t.Errorf("UserByName(%q) = %v, %v; want it verbatim", name, u, err)
				continue
			}
			if _, err := a.CheckPassword(ctx, name, testPassword); err != nil {
				t.Errorf("CheckPassword(%q): %v", name, err)
			}
			if _, err := a.CheckPassword(ctx, name, "' OR '1'='1"); !errors.Is(err, dao.ErrBadCredentials) {
				t.Errorf("CheckPassword(%q, injection) = %v, want ErrBadCredentials", name, err)
			}
		}
		page, err := d.ListUsers(ctx, "", 0, 100)
		if err != nil || page.Total != int64(len(names)) {
			t.Errorf("ListUsers after SQL-looking names: %v, %v; want %d users and the table intact", page, err, len(names))
		}
		if _, err := d.UserByName(ctx, "' OR '1'='1"); !errors.Is(err, dao.ErrNotFound) {
			t.Errorf("UserByName(injection) = %v, want ErrNotFound", err)
		}
	})
}

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	daotest.ForEachDriver(t, func(t *testing.T, d *dao.DAO) {
		a := accounts(t, d)
		ctx := context.Background()
		alice, mallory := mustCreate(t, a, "alice"), mustCreate(t, a, "mallory")
		if err := d.SetDisabled(ctx, mallory.ID, true); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, user, pw string
			want           error
		}{
			{"right", "alice", testPassword, nil},
			{"any case", "ALICE", testPassword, nil},
			{"wrong password", "alice", "wrong password", dao.ErrBadCredentials},
			{"unknown user", "nobody", testPassword, dao.ErrBadCredentials},
			{"disabled", "mallory", testPassword, dao.ErrDisabled},
			// Without the password, a disabled account looks like any other.
			{"disabled, wrong password", "mallory", "wrong password", dao.ErrBadCredentials},
		}
		for _, tt := range tests {
			u, err := a.CheckPassword(ctx, tt.user, tt.pw)
			if !errors.Is(err, tt.want) {
				t.Errorf("%s: err %v, want %v", tt.name, err, tt.want)
			}
			if tt.want == nil && (u == nil || u.ID != alice.ID) {
				t.Errorf("%s: user %+v, want alice", tt.name, u)
			}
		}
		_, wrong := a.CheckPassword(ctx, "alice", "wrong password")
		_, unknown := a.CheckPassword(ctx, "nobody", "wrong password")
		if wrong.Error() != unknown.Error() {
			t.Errorf("wrong password %q and unknown user %q can be told apart", wrong, unknown)
		}
	})
}

func TestLoginTimeRecordedBySession(t *testing.T) {
	t.Parallel()
	daotest.ForEachDriver(t, func(t *testing.T, d *dao.DAO) {
		a := accounts(t, d)
		ctx := context.Background()
		u := mustCreate(t, a, "alice")
		if _, err := a.CheckPassword(ctx, "alice", "wrong password"); err == nil {
			t.Fatal("wrong password accepted")
		}
		if stored, _ := d.UserByID(ctx, u.ID); stored.LastLoginAt != nil {
			t.Errorf("a failed login set LastLoginAt to %v", stored.LastLoginAt)
		}
		before := time.Now()
		if _, _, err := dao.NewSessions(d, "k", time.Hour).Create(ctx, u.ID, "127.0.0.1", "test"); err != nil {
			t.Fatal(err)
		}
		stored, _ := d.UserByID(ctx, u.ID)
		if at := stored.LastLoginAt; at == nil || at.Before(before.Add(-time.Second)) || at.After(time.Now().Add(time.Second)) {
			t.Errorf("LastLoginAt %v after a session started, want about %v", at, before)
		}
	})
}

func names(page *dao.UserPage) []string {
	var out []string
	for _, u := range page.Users {
		out = append(out, u.Username)
	}
	return out
}

func TestListUsersSearch(t *testing.T) {
	t.Parallel()
	daotest.ForEachDriver(t, func(t *testing.T, d *dao.DAO) {
		a := accounts(t, d)
		for _, n := range []string{"alice", "Alicia", "bob", "a%b", "a_b", "axb", "jörg", "bang!x"} {
			mustCreate(t, a, n)
		}
		tests := []struct {
			query string
			want  []string
		}{
			{"", []string{"alice", "Alicia", "bob", "a%b", "a_b", "axb", "jörg", "bang!x"}},
			{"ALI", []string{"alice", "Alicia"}},
			{"  ali ", []string{"alice", "Alicia"}},
			{"JÖRG", []string{"jörg"}},
			{"%", []string{"a%b"}},    // not a wildcard
			{"_", []string{"a_b"}},    // not a wildcard
			{"a_b", []string{"a_b"}},  // not axb
			{"!", []string{"bang!x"}}, // the escape character itself
			{"zzz", nil},
		}
		for _, tt := range tests {
			page, err := d.ListUsers(context.Background(), tt.query, 0, 50)
			if err != nil {
				t.Fatalf("ListUsers(%q): %v", tt.query, err)
			}
			got := names(page)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) || page.Total != int64(len(tt.want)) {
				t.Errorf("ListUsers(%q) = %q total %d, want %q", tt.query, got, page.Total, tt.want)
			}
		}
	})
}

func TestListUsersPaging(t *testing.T) {
	t.Parallel()
	daotest.ForEachDriver(t, func(t *testing.T, d *dao.DAO) {
		a := accounts(t, d)
		mustCreate(t, a, "other")
		for i := range 7 {
			mustCreate(t, a, fmt.Sprintf("user%d", i))
		}
		tests := []struct {
			query         string
			offset, limit int
			want          []string
			total         int64
		}{
			{"user", 0, 3, []string{"user0", "user1", "user2"}, 7},
			{"user", 3, 3, []string{"user3", "user4", "user5"}, 7},
			{"user", 6, 3, []string{"user6"}, 7},
			{"user", 9, 3, nil, 7},
			{"", 0, 2, []string{"other", "user0"}, 8},
		}
		for _, tt := range tests {
			page, err := d.ListUsers(context.Background(), tt.query, tt.offset, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(names(page)) != fmt.Sprint(tt.want) || page.Total != tt.total {
				t.Errorf("ListUsers(%q, %d, %d) = %q total %d, want %q total %d",
					tt.query, tt.offset, tt.limit, names(page), page.Total, tt.want, tt.total)
			}
		}
	})
}

func TestSetDisabledEndsSessions(t *testing.T) {
	t.Parallel()
	daotest.ForEachDriver(t, func(t *testing.T, d *dao.DAO) {
		a := accounts(t, d)
		s := dao.NewSessions(d, "session-key", time.Hour)
		ctx := context.Background()
		alice, bob := mustCreate(t, a, "alice"), mustCreate(t, a, "bob")
		tokA1, _, _ := s.Create(ctx, alice.ID, "192.0.2.1", "phone")
		tokA2, _, _ := s.Create(ctx, alice.ID, "192.0.2.2", "laptop")
		tokB, _, _ := s.Create(ctx, bob.ID, "192.0.2.3", "laptop")

		if err := d.SetDisabled(ctx, alice.ID, true); err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{tokA1, tokA2} {
			if _, err := s.User(ctx, tok); !errors.Is(err, dao.ErrNotFound) {
				t.Errorf("disabled user's session: %v, want ErrNotFound", err)
			}
		}
		if u, err := s.User(ctx, tokB); err != nil || u.ID != bob.ID {
			t.Errorf("bob's session after disabling alice: %v, %v", u, err)
		}
		if stored, _ := d.UserByID(ctx, alice.ID); !stored.Disabled {
			t.Error("alice not stored as disabled")
		}
		// A session created while disabled does not work either.
		late, _, _ := s.Create(ctx, alice.ID, "192.0.2.1", "phone")
		if _, err := s.User(ctx, late); !errors.Is(err, dao.ErrNotFound) {
			t.Errorf("session of a disabled user: %v, want ErrNotFound", err)
		}
		// Setting the same value again is not an error (MySQL reports no rows changed).
		if err := d.SetDisabled(ctx, alice.ID, true); err != nil {
			t.Errorf("disabling twice: %v", err)
		}

		if err := d.SetDisabled(ctx, alice.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := s.User(ctx, tokA1); !errors.Is(err, dao.ErrNotFound) {
			t.Errorf("re-enabling revived an old session: %v", err)
		}
		if _, err := a.CheckPassword(ctx, "alice", testPassword); err != nil {
			t.Errorf("re-enabled alice cannot log in: %v", err)
		}
		if err := d.SetDisabled(ctx, bob.ID, false); err != nil {
			t.Errorf("enabling an enabled user: %v", err)
		}
		for _, disabled := range []bool{true, false} {
			if err := d.SetDisabled(ctx, 999999, disabled); !errors.Is(err, dao.ErrNotFound) {
				t.Errorf("SetDisabled(unknown, %v) = %v, want ErrNotFound", disabled, err)
			}
		}
	})
}

func TestSetRole(t *testing.T) {
	t.Parallel()
	daotest.ForEachDriver(t, func(t *testing.T, d *dao.DAO) {
		a := accounts(t, d)
		ctx := context.Background()
		mustCreate(t, a, "alice")
		bob := mustCreate(t, a, "bob")
		for _, role := range []string{models.RoleAdmin, models.RoleAdmin, models.RoleUser} {
			if err := d.SetRole(ctx, bob.ID, role); err != nil {
				t.Fatalf("SetRole(%s): %v", role, err)
			}
			if stored, _ := d.UserByID(ctx, bob.ID); stored.Role != role {
				t.Errorf("role %s after SetRole(%s)", stored.Role, role)
			}
		}
		if err := d.SetRole(ctx, bob.ID, "root"); err == nil {
			t.Error("SetRole(root) succeeded")
		}
		if stored, _ := d.UserByID(ctx, bob.ID); stored.Role != models.RoleUser {
			t.Errorf("a refused role changed the role to %s", stored.Role)
		}
		if err := d.SetRole(ctx, 999999, models.RoleAdmin); !errors.Is(err, dao.ErrNotFound) {
			t.Errorf("SetRole(unknown) = %v, want ErrNotFound", err)
		}
		if _, err := d.UserByID(ctx, 999999); !errors.Is(err, dao.ErrNotFound) {
			t.Errorf("UserByID(unknown) = %v, want ErrNotFound", err)
		}
	})
}

func TestDisabledUserIDs(t *testing.T) {
	t.Parallel()
	daotest.ForEachDriver(t, func(t *testing.T, d *dao.DAO) {
		a, ctx := accounts(t, d), context.Background()
		if ids, err := d.DisabledUserIDs(ctx); err != nil || len(ids) != 0 {
			t.Fatalf("no one disabled: %v, %v", ids, err)
		}
		alice, bob, carol := mustCreate(t, a, "alice"), mustCreate(t, a, "bob"), mustCreate(t, a, "carol")
		for _, u := range []*models.User{carol, alice, bob} {
			if err := d.SetDisabled(ctx, u.ID, true); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.SetDisabled(ctx, bob.ID, false); err != nil {
			t.Fatal(err)
		}
		if ids, err := d.DisabledUserIDs(ctx); err != nil || fmt.Sprint(ids) != fmt.Sprint([]uint64{alice.ID, carol.ID}) {
			t.Errorf("DisabledUserIDs = %v, %v; want alice and carol", ids, err)
		}
	})
}
