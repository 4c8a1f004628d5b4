package route_test

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"callapp/config"
	"callapp/controllers/signal"
)

// stated matches a limit as models/protocol.md writes it: the setting, or
// the hub's constant, and its default.
var stated = regexp.MustCompile("`(?:CALLAPP_)?([A-Z][A-Z0-9_]*|signal\\.[A-Za-z]+)` \\(default `([^`]*)`\\)")

// bareFigure matches a time or size written without its setting.
var bareFigure = regexp.MustCompile(`\b\d+(\.\d+)? ?(ms|s|m|h|KiB|MiB)\b`)

// TestProtocolStatesTheDefaults: every limit models/protocol.md gives is
// the default a server really runs with, each limit of the hub that a
// client meets is given, and none is given as a bare figure that could
// drift from its setting.
func TestProtocolStatesTheDefaults(t *testing.T) {
	raw, err := os.ReadFile("../models/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Join(strings.Fields(string(raw)), " ")
	defaults := defaultValues()
	seen := map[string]bool{}
	for _, m := range stated.FindAllStringSubmatch(doc, -1) {
		key, value := m[1], m[2]
		seen[key] = true
		want, ok := defaults[key]
		switch {
		case !ok:
			t.Errorf("protocol.md gives a default of %s, which is no setting or hub constant", key)
		case !sameDefault(value, want):
			t.Errorf("protocol.md: %s defaults to %q, the server to %q", key, value, want)
		}
	}
	for _, key := range []string{
		"WS_CONNECT_TIMEOUT", "WS_MAX_PENDING_PER_IP", "WS_MAX_MESSAGE", "WS_MESSAGE_RATE", "WS_MESSAGE_BURST",
		"WS_PING_INTERVAL", "WS_PONG_WAIT", "WS_WRITE_WAIT", "WS_SEND_QUEUE", "CHAT_RATE", "CHAT_BURST",
		"CALL_RING_TIMEOUT", "PRESENCE_TICK", "PRESENCE_RATE", "signal.ChatHistory", "signal.RateStrikes",
		"ROOM_CAPACITY",
		"LIVE_MAX_VIEWERS", "signal.LiveUpdateEvery", "signal.StatsGrace",
	} {
		if !seen[key] {
			t.Errorf("protocol.md does not give the default of %s", key)
		}
	}
	if bare := bareFigure.FindAllString(stated.ReplaceAllString(doc, ""), -1); len(bare) > 0 {
		t.Errorf("protocol.md states %q without the setting that holds it", bare)
	}
}

// defaultValues are the settings as config.Default prints them and the
// hub's constants that are not settings.
func defaultValues() map[string]string {
	out := map[string]string{
		"signal.ChatHistory":     strconv.Itoa(signal.ChatHistory),
		"signal.RateStrikes":     strconv.Itoa(signal.RateStrikes),
		"signal.LiveUpdateEvery": signal.LiveUpdateEvery.String(),
		"signal.StatsGrace":      signal.StatsGrace.String(),
	}
	for _, kv := range strings.Fields(config.Default().String()) {
		k, v, _ := strings.Cut(strings.TrimPrefix(kv, "CALLAPP_"), "=")
		out[k] = v
	}
	return out
}

// sameDefault compares durations as durations ("25s" is "25s", "1m" is "1m0s").
func sameDefault(stated, got string) bool {
	a, err1 := time.ParseDuration(stated)
	b, err2 := time.ParseDuration(got)
	return stated == got || (err1 == nil && err2 == nil && a == b)
}
