package dao_test

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"callapp/dao"
	"callapp/dao/daotest"
	"callapp/models"
	"callapp/route/apptest"
)

// Width forms of a taken name are the same name: registering one fails as a
// duplicate, and logging in with one reaches the original account.
func TestLookAlikeRegistrationCollides(t *testing.T) {
	t.Parallel()
	daotest.ForEachDriver(t, func(t *testing.T, d *dao.DAO) {
		a := accounts(t, d)
		owner := mustCreate(t, a, "root_admin")
		mustCreate(t, a, "bob")
		ctx := context.Background()
		for _, name := range []string{"ＲＯＯＴ_ＡＤＭＩＮ", "Root_Admin", "ｂｏｂ", "ＢＯＢ"} {
			cred := models.Credentials{Username: name, Password: "another password"}
			if err := cred.Validate(); err != nil {
				t.Fatalf("Validate(%q): %v", name, err)
			}
			if _, err := a.CreateUser(ctx, cred); !errors.Is(err, dao.ErrDuplicate) {
				t.Errorf("CreateUser(%q) = %v, want ErrDuplicate", name, err)
			}
		}
		u, err := a.CheckPassword(ctx, "ＲＯＯＴ_ＡＤＭＩＮ", testPassword)
		if err != nil || u.ID != owner.ID {
			t.Errorf("login as ＲＯＯＴ_ＡＤＭＩＮ = %v, %v; want root_admin's account", u, err)
		}
		if page, _ := d.ListUsers(ctx, "ＲＯＯＴ", 0, 10); page.Total != 1 {
			t.Errorf("admin search for ＲＯＯＴ finds %d users, want root_admin", page.Total)
		}
	})
}

// legacyUser is an account as an earlier version stored it, key included.
type legacyUser struct{ name, key string }

// Accounts made before the rule get the key it gives them when that key is
// free, keep their own when it is taken (and can no longer log in as the
// name they imitate), and are named in the log when the rule refuses them.
func TestOpenRekeysLegacyUsernames(t *testing.T) {
	t.Parallel()
	for _, driver := range daotest.Drivers(t) {
		t.Run(driver, func(t *testing.T) {
			opts := daotest.Options(t, driver)
			legacy := []legacyUser{
				{"root_admin", "root_admin"},
				{"ＲＯＯＴ_ＡＤＭＩＮ", "ｒｏｏｔ_ａｄｍｉｎ"}, // imitates root_admin
				{"ＣＡＲＯＬ", "ｃａｒｏｌ"},           // nobody else: gets the key carol
				{"ᵇᵒᵇ", "ᵇᵒᵇ"},               // refused now, key unchanged
			}
			seedLegacy(t, opts, legacy)
			var logs apptest.LogBuffer
			opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			d, err := dao.Open(opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = d.Close() })
			checkRekeyed(t, d, &logs)
		})
	}
}

func checkRekeyed(t *testing.T, d *dao.DAO, logs *apptest.LogBuffer) {
	ctx := context.Background()
	for name, owner := range map[string]string{
		"root_admin": "root_admin", "ＲＯＯＴ_ＡＤＭＩＮ": "root_admin",
		"carol": "ＣＡＲＯＬ", "ＣＡＲＯＬ": "ＣＡＲＯＬ", "ᵇᵒᵇ": "ᵇᵒᵇ",
	} {
		u, err := d.UserByName(ctx, name)
		if err != nil || u.Username != owner {
			t.Errorf("UserByName(%q) = %v, %v; want %s", name, u, err, owner)
		}
	}
	if _, err := d.UserByName(ctx, "bob"); !errors.Is(err, dao.ErrNotFound) {
		t.Errorf("UserByName(bob) = %v, want ErrNotFound: ᵇᵒᵇ is not bob", err)
	}
	out := logs.String()
	for _, want := range []string{`username=ＲＯＯＴ_ＡＤＭＩＮ`, `username=ᵇᵒᵇ`, "compatibility forms"} {
		if !strings.Contains(out, want) {
			t.Errorf("start-up log does not mention %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "username=root_admin") || strings.Contains(out, "username=ＣＡＲＯＬ") {
		t.Errorf("start-up log warns about an account the rule accepts:\n%s", out)
	}
}

// seedLegacy migrates a fresh database and inserts users with the keys an
// earlier version computed, straight through SQL.
func seedLegacy(t *testing.T, opts dao.Options, users []legacyUser) {
	t.Helper()
	d, err := dao.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	_ = d.Close()
	raw, err := sql.Open(opts.Driver, opts.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, u := range users {
		_, err := raw.Exec(`INSERT INTO users (username, username_key, password_hash, role, disabled, created_at)
			VALUES (?, ?, ?, 'user', false, CURRENT_TIMESTAMP)`, u.name, u.key, "x")
		if err != nil {
			t.Fatalf("insert %s: %v", u.name, err)
		}
	}
}
