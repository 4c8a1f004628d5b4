package config

import (
	"strings"
	"testing"
)

func TestMetricsAccess(t *testing.T) {
	cases := []struct {
		value string
		on    bool
		allow string // the prefixes, comma-separated
		err   string
	}{
		{"", true, "", ""}, // the default: admins only
		{"admin", true, "", ""},
		{"off", false, "", ""},
		{"127.0.0.1, 10.0.0.0/8", true, "127.0.0.1/32,10.0.0.0/8", ""},
		{"admin,::1,192.168.1.7/16", true, "::1/128,192.168.0.0/16", ""},
		{"::ffff:127.0.0.1", true, "127.0.0.1/32", ""},
		{"off,127.0.0.1", false, "", "off stands alone"},
		{"everyone", true, "", `got "everyone"`},
	}
	for _, tc := range cases {
		env := []string{}
		if tc.value != "" {
			env = append(env, "CALLAPP_METRICS="+tc.value)
		}
		c, err := Load("", env)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "CALLAPP_METRICS") {
				t.Errorf("%q: error %v, want one naming CALLAPP_METRICS with %q", tc.value, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.value, err)
			continue
		}
		on, allow := c.MetricsAccess()
		var got []string
		for _, p := range allow {
			got = append(got, p.String())
		}
		if on != tc.on || strings.Join(got, ",") != tc.allow {
			t.Errorf("%q: on %v allow %v, want %v %s", tc.value, on, got, tc.on, tc.allow)
		}
	}
}
