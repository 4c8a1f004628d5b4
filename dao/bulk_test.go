package dao_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"callapp/dao"
	"callapp/dao/daotest"
	"callapp/models"
)

func TestEnsureUsersCreatesThenReuses(t *testing.T) {
	t.Parallel()
	daotest.ForEachDriver(t, func(t *testing.T, d *dao.DAO) {
		ctx := context.Background()
		a := accounts(t, d)
		existing := mustCreate(t, a, "lt-00002") // registered normally: first user, so admin
		hash, err := bcrypt.GenerateFromPassword([]byte("shared password"), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		names := make([]string, 1203) // more than two batches
		for i := range names {
			names[i] = fmt.Sprintf("lt-%05d", i+1)
		}
		users, err := d.EnsureUsers(ctx, names, hash)
		if err != nil {
			t.Fatal(err)
		}
		if len(users) != len(names) {
			t.Fatalf("got %d users, want %d", len(users), len(names))
		}
		seen := map[uint64]bool{}
		for i, u := range users {
			if u.Username != names[i] || u.ID == 0 || seen[u.ID] {
				t.Fatalf("users[%d] = %d %q, want a new id for %q", i, u.ID, u.Username, names[i])
			}
			seen[u.ID] = true
		}
		if users[1].ID != existing.ID || users[1].Role != models.RoleAdmin {
			t.Errorf("existing account: got id %d role %s, want id %d kept as admin", users[1].ID, users[1].Role, existing.ID)
		}
		if users[0].Role != models.RoleUser || users[2].Role != models.RoleUser {
			t.Errorf("new accounts' roles %s, %s; want user", users[0].Role, users[2].Role)
		}
		if _, err := a.CheckPassword(ctx, "lt-01203", "shared password"); err != nil {
			t.Errorf("a seeded account cannot log in: %v", err)
		}
		if _, err := a.CheckPassword(ctx, "lt-00002", testPassword); err != nil {
			t.Errorf("the existing account's password changed: %v", err)
		}

		again, err := d.EnsureUsers(ctx, []string{"LT-01203", "lt-99999"}, hash)
		if err != nil {
			t.Fatal(err)
		}
		if again[0].ID != users[1202].ID || again[1].ID == 0 || seen[again[1].ID] {
			t.Errorf("rerun: ids %d, %d; want %d kept and a new one", again[0].ID, again[1].ID, users[1202].ID)
		}
	})
}

func TestEnsureUsersRejectsBadNames(t *testing.T) {
	t.Parallel()
	d := daotest.Open(t, dao.DriverSQLite)
	_, err := d.EnsureUsers(context.Background(), []string{"ok-name", "no spaces"}, []byte("x"))
	var fe *models.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want a FieldError", err)
	}
	if users, err := d.EnsureUsers(context.Background(), nil, []byte("x")); err != nil || len(users) != 0 {
		t.Errorf("no names: %v, %v", users, err)
	}
	if _, err := d.UserByName(context.Background(), "ok-name"); !errors.Is(err, dao.ErrNotFound) {
		t.Errorf("a batch with a bad name created users: %v", err)
	}
}
