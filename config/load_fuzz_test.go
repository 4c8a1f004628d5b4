package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzLoadFile feeds any file to Load. A file it cannot read is an error
// naming the file; one it reads is either refused by Validate, naming a
// setting, or valid, and then every setting written back out as KEY=value
// loads to the same configuration.
func FuzzLoadFile(f *testing.F) {
	for _, seed := range []string{
		"# callapp\nLISTEN = 0.0.0.0:9000\nCALLAPP_DB_DRIVER=mysql\nDB_DSN=u:p@tcp(db:3306)/x\n",
		"ADMIN_USERNAMES= alice, Bob ,,\nMETRICS=admin,10.0.0.0/8\nWS_MESSAGE_RATE=+Inf\n",
		"LOGIN_WINDOW=15\n",
		"TURN_RELAY_PORT_MIN=70000\nTURN_RELAY_PORT_MAX=1\n",
		"LISTEN\n",
		"PRESENCE_RATE=NaN\r\nBCRYPT_COST=1e3\n",
		"\xff=\xfe\n",
		"KEY==value=with=equals\n",
		"SESSION_TTL=-1h\nSESSION_TTL=1h0m0.000000001s\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		path := writeConfig(t, "fuzz.conf", content)
		c, err := Load(path, nil)
		switch {
		case c == nil && (err == nil || !strings.HasPrefix(err.Error(), "config: "+path)):
			t.Fatalf("Load failed with %v, want an error naming %s", err, path)
		case c != nil && err != nil && !strings.HasPrefix(err.Error(), envPrefix):
			t.Fatalf("Validate: %v, want an error naming a setting", err)
		case err == nil:
			checkRoundTrip(t, c)
		}
	})
}

// checkRoundTrip writes every setting of c as KEY=value and loads it back.
func checkRoundTrip(t *testing.T, c *Config) {
	t.Helper()
	var b strings.Builder
	for _, o := range options {
		b.WriteString(o.key + "=" + o.get(c) + "\n")
	}
	again, err := Load(writeConfig(t, "again.conf", []byte(b.String())), nil)
	if err != nil || !reflect.DeepEqual(again, c) {
		t.Fatalf("written back as\n%s\nit loads as %+v, %v; want %+v", b.String(), again, err, c)
	}
}

func writeConfig(t *testing.T, name string, content []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A line too long for the scanner is an error that names the file, like
// every other error reading it (found while writing FuzzLoadFile).
func TestLoadFileLongLineNamesFile(t *testing.T) {
	path := writeConfig(t, "long.conf", []byte("LISTEN=127.0.0.1:1\nDB_DSN="+strings.Repeat("x", 70<<10)+"\n"))
	_, err := Load(path, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "config: "+path) {
		t.Fatalf("Load = %v, want an error naming %s", err, path)
	}
}
