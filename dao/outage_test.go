package dao_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"callapp/dao"
	"callapp/dao/daotest"
	"callapp/models"
)

// hangLimit is how long a call may take against a database that stopped
// answering before the test calls it a hang: far above the short timeout
// the tests set, far below the hang of a call with no deadline.
const hangLimit = 5 * time.Second

// returnsWithin runs fn and fails the test if it has not returned within
// hangLimit; it returns fn's error.
func returnsWithin(t *testing.T, what string, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(hangLimit):
		t.Fatalf("%s still waiting for the database after %v", what, hangLimit)
		return nil
	}
}

func TestCallsFailWhenDatabaseStopsAnswering(t *testing.T) {
	opts, proxy := daotest.MySQLBehindProxy(t)
	opts.Timeout = 300 * time.Millisecond
	d, err := dao.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	sessions := dao.NewSessions(d, "k", time.Hour)
	ctx := context.Background() // no deadline of the caller's: the DAO's must hold
	proxy.Set(daotest.Blackhole)
	calls := map[string]func() error{
		"ping":         func() error { return d.Ping(ctx) },
		"user by name": func() error { _, err := d.UserByName(ctx, "alice"); return err },
		"session user": func() error { _, err := sessions.User(ctx, "token"); return err },
		"create call":  func() error { return d.CreateCall(ctx, &models.Call{ID: "c1", CallerID: 1, CalleeID: 2}) },
		"chat": func() error {
			return d.SaveChatMessage(ctx, &models.ChatMessage{FromID: 1, Username: "a", Message: "hi"})
		},
	}
	for name, call := range calls {
		if err := returnsWithin(t, name, call); !errors.Is(err, dao.ErrUnavailable) {
			t.Errorf("%s: %v, want ErrUnavailable", name, err)
		}
	}
	proxy.Set(daotest.Forward)
	if err := returnsWithin(t, "ping after", func() error { return d.Ping(ctx) }); err != nil {
		t.Errorf("the database answers again, ping: %v", err)
	}
}

func TestOpenFailsWhenDatabaseNeverAnswers(t *testing.T) {
	opts, proxy := daotest.MySQLBehindProxy(t)
	opts.Timeout = 300 * time.Millisecond
	proxy.Set(daotest.Blackhole)
	err := returnsWithin(t, "open", func() error {
		d, err := dao.Open(opts) // migrations carry no context: the DSN's read timeout bounds them
		if err == nil {
			_ = d.Close()
		}
		return err
	})
	if err == nil {
		t.Fatal("open succeeded against a database that never answers")
	}
}
