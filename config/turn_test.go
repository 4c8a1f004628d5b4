package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"callapp/config"
)

func TestTURNDefaults(t *testing.T) {
	c, err := config.Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !c.TURNEmbedded() || c.TURNCredentialTTL != time.Hour || !c.TURNAllowPrivate || c.TURNAllowLoopback {
		t.Errorf("defaults: embedded %v ttl %v private %v loopback %v",
			c.TURNEmbedded(), c.TURNCredentialTTL, c.TURNAllowPrivate, c.TURNAllowLoopback)
	}
	// The relay follows the HTTP server: loopback by default, the network
	// when the operator opens the app to it.
	cases := map[string][]string{
		"127.0.0.1:3478":     nil,
		"0.0.0.0:3478":       {"CALLAPP_LISTEN=0.0.0.0:8443"},
		":3478":              {"CALLAPP_LISTEN=:8443"},
		"192.0.2.7:3479":     {"CALLAPP_LISTEN=0.0.0.0:8443", "CALLAPP_TURN_LISTEN=192.0.2.7:3479"},
		"[2001:db8::1]:3478": {"CALLAPP_LISTEN=[2001:db8::1]:443"},
		"127.0.0.1:0":        {"CALLAPP_LISTEN=127.0.0.1:0"},
	}
	for want, env := range cases {
		c, err := config.Load("", env)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.TURNListenAddr(); got != want {
			t.Errorf("%v: TURNListenAddr = %q, want %q", env, got, want)
		}
	}
}

func TestTURNValidate(t *testing.T) {
	secret := "CALLAPP_TURN_SECRET=0123456789abcdef"
	cases := []struct {
		env  []string
		want string // the setting the error names; "" for valid
	}{
		{[]string{"CALLAPP_TURN_URLS=turn:turn.example.com:3478", secret}, ""},
		{[]string{"CALLAPP_TURN_URLS=turn:turn.example.com:3478"}, "CALLAPP_TURN_SECRET"},
		{[]string{"CALLAPP_TURN_URLS=stun:turn.example.com", secret}, "CALLAPP_TURN_URLS"},
		{[]string{"CALLAPP_STUN_URLS=turn:x.example.com"}, "CALLAPP_STUN_URLS"},
		{[]string{"CALLAPP_TURN_SECRET=short"}, "CALLAPP_TURN_SECRET"},
		{[]string{"CALLAPP_TURN_CREDENTIAL_TTL=30s"}, "CALLAPP_TURN_CREDENTIAL_TTL"},
		{[]string{"CALLAPP_TURN_LISTEN=3478"}, "CALLAPP_TURN_LISTEN"},
		{[]string{"CALLAPP_TURN_LISTEN=0.0.0.0:99999"}, "CALLAPP_TURN_LISTEN"},
		{[]string{"CALLAPP_TURN_PUBLIC_IP=turn.example.com"}, "CALLAPP_TURN_PUBLIC_IP"},
		{[]string{"CALLAPP_TURN_RELAY_PORT_MIN=60000", "CALLAPP_TURN_RELAY_PORT_MAX=50000"}, "CALLAPP_TURN_RELAY_PORT_MIN"},
		{[]string{"CALLAPP_TURN_RELAY_PORT_MIN=0", "CALLAPP_TURN_RELAY_PORT_MAX=0"}, ""},
		{[]string{"CALLAPP_TURN_MAX_ALLOCATIONS=0"}, "CALLAPP_TURN_MAX_ALLOCATIONS"},
		{[]string{"CALLAPP_TURN_MAX_ALLOCATIONS_PER_USER=0"}, "CALLAPP_TURN_MAX_ALLOCATIONS_PER_USER"},
		{[]string{"CALLAPP_TURN_ALLOCATION_KBPS=-1"}, "CALLAPP_TURN_ALLOCATION_KBPS"},
		{[]string{"CALLAPP_TURN_REALM="}, "CALLAPP_TURN_REALM"},
		// With the embedded server off its own settings do not matter.
		{[]string{"CALLAPP_TURN_ENABLED=false", "CALLAPP_TURN_REALM="}, ""},
	}
	for _, tc := range cases {
		_, err := config.Load("", tc.env)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: unexpected error %v", tc.env, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want+":")):
			t.Errorf("%v: error %v, want one naming %s", tc.env, err, tc.want)
		}
	}
}

func TestTURNSecretGeneratedAndKept(t *testing.T) {
	dir := t.TempDir()
	load := func(env ...string) *config.Config {
		c, err := config.Load("", append([]string{"CALLAPP_DATA_DIR=" + dir}, env...))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.FillSecrets(); err != nil {
			t.Fatal(err)
		}
		return c
	}
	first := load()
	if len(first.TURNSecret) < 32 || first.TURNSecret == first.SessionKey {
		t.Fatalf("generated TURN secret %q (session key %q)", first.TURNSecret, first.SessionKey)
	}
	if again := load(); again.TURNSecret != first.TURNSecret {
		t.Error("TURN secret changed across restarts")
	}
	if fi, err := os.Stat(filepath.Join(dir, "turn.secret")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("turn.secret: %v %v", fi, err)
	}
	if s := load().String(); strings.Contains(s, first.TURNSecret) || !strings.Contains(s, "CALLAPP_TURN_SECRET=(redacted)") {
		t.Errorf("String() leaks or omits the TURN secret: %s", s)
	}
	// External servers have their own secret; inventing one would only
	// produce credentials they refuse.
	ext := t.TempDir()
	c, _ := config.Load("", []string{"CALLAPP_DATA_DIR=" + ext, "CALLAPP_TURN_ENABLED=false"})
	if err := c.FillSecrets(); err != nil || c.TURNSecret != "" {
		t.Errorf("TURN off: secret %q, err %v", c.TURNSecret, err)
	}
	if _, err := os.Stat(filepath.Join(ext, "turn.secret")); err == nil {
		t.Error("turn.secret written with the embedded server off")
	}
}
