package signal

import (
	"context"
	"log/slog"
	"testing"

	"callapp/config"
)

// testOptions are the hub's settings as config.Default gives them, with a
// logger that discards: every hub of this package's tests starts from
// them, so that the tests run on the defaults users get, and shorten only
// what they must.
func testOptions() Options {
	o := FromConfig(config.Default())
	o.Logger = slog.New(slog.DiscardHandler)
	return o
}

// newTestHub is the one hub builder of this package's tests; the hub is
// closed when the test ends.
func newTestHub(tb testing.TB, o Options, store Store) *Hub {
	h := New(o, store)
	tb.Cleanup(h.Close)
	if _, err := h.JoinCluster(context.Background()); err != nil {
		tb.Fatalf("join the cluster: %v", err)
	}
	return h
}

// TestTestOptionsAreTheDefaults: the options the tests start from are
// those a hub gets from the default configuration, setting for setting.
func TestTestOptionsAreTheDefaults(t *testing.T) {
	o := testOptions()
	o.mustSet() // panics on a setting the mapping left out
	if o.MessageBurst != config.Default().WSMessageBurst || o.PongWait != config.Default().WSPongWait {
		t.Errorf("test options %+v differ from config.Default()", o)
	}
}
