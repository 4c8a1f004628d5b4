package dao_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"callapp/dao"
	"callapp/dao/daotest"
	"callapp/models"
)

func TestQueriesAreTimed(t *testing.T) {
	for _, driver := range daotest.Drivers(t) {
		t.Run(driver, func(t *testing.T) {
			var mu sync.Mutex
			ops := map[string]int{}
			opts := daotest.Options(t, driver)
			opts.OnQuery = func(op string, took time.Duration) {
				mu.Lock()
				defer mu.Unlock()
				if took > 0 {
					ops[op]++
				}
			}
			d, err := dao.Open(opts)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			ctx := context.Background()
			failOn(t, d.CreateCall(ctx, &models.Call{ID: "c1", CallerID: 1, CalleeID: 2, InvitedAt: time.Now()}))
			failOn(t, d.MarkCallAnswered(ctx, "c1", time.Now()))
			_, err = d.RecentCalls(ctx, 5)
			failOn(t, err)
			mu.Lock()
			defer mu.Unlock()
			for _, op := range []string{"create", "update", "query"} {
				if ops[op] == 0 {
					t.Errorf("no %s timed: %v", op, ops)
				}
			}
			if st := d.PoolStats(); st.OpenConnections == 0 {
				t.Errorf("pool stats %+v", st)
			}
		})
	}
}

// The session lookup runs beside GORM, on the pool itself: it is timed too,
// or the metrics would miss the statement every request makes.
func TestSessionLookupIsTimed(t *testing.T) {
	for _, driver := range daotest.Drivers(t) {
		t.Run(driver, func(t *testing.T) {
			var mu sync.Mutex
			var ops []string
			opts := daotest.Options(t, driver)
			opts.OnQuery = func(op string, _ time.Duration) {
				mu.Lock()
				defer mu.Unlock()
				ops = append(ops, op)
			}
			d, err := dao.Open(opts)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			sessions := dao.NewSessions(d, "key", time.Hour)
			mu.Lock()
			ops = nil // forget the migration's statements
			mu.Unlock()
			_, _, err = sessions.Lookup(context.Background(), "no-such-token")
			if !errors.Is(err, dao.ErrNotFound) {
				t.Fatalf("lookup of an unknown token: %v, want ErrNotFound", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(ops, []string{"query"}) {
				t.Errorf("timed %v, want the lookup's one query", ops)
			}
		})
	}
}
