package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// FillSecrets generates the secrets that are not configured and keeps them
// in DataDir, so that sessions and TURN credentials survive a restart.
func (c *Config) FillSecrets() error {
	if err := fillSecret(&c.SessionKey, c.DataDir, "session.key"); err != nil {
		return err
	}
	// Only the embedded server may invent its secret: external servers
	// must share theirs, and Validate demands it then.
	if c.TURNEmbedded() {
		return fillSecret(&c.TURNSecret, c.DataDir, "turn.secret")
	}
	return nil
}

func fillSecret(field *string, dir, name string) error {
	if *field != "" {
		return nil
	}
	secret, err := LoadOrCreateSecret(dir, name)
	if err != nil {
		return err
	}
	*field = secret
	return nil
}

// LoadOrCreateSecret returns the secret kept in dir/name, creating a random
// 256-bit one (mode 0600) on first use. The file appears whole or not at
// all (written aside, then linked into place), and when two processes start
// together the first link wins and both use its secret.
func LoadOrCreateSecret(dir, name string) (string, error) {
	path := filepath.Join(dir, name)
	if secret, err := readSecret(path); err != nil || secret != "" {
		return secret, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("config: data folder: %w", err)
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	secret := base64.RawURLEncoding.EncodeToString(raw)
	tmp, err := writeTemp(dir, name, secret+"\n")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp)
	err = os.Link(tmp, path)
	if errors.Is(err, fs.ErrExist) {
		kept, err := readSecret(path)
		if err == nil && kept == "" { // an empty file holds nothing to keep
			return secret, os.Rename(tmp, path)
		}
		return kept, err
	}
	if err != nil {
		return "", fmt.Errorf("config: secret %s: %w", name, err)
	}
	return secret, nil
}

// readSecret returns the trimmed content of path, or "" when the file is
// missing or empty.
func readSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("config: secret: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

func writeTemp(dir, name, content string) (string, error) {
	f, err := os.CreateTemp(dir, name+".*.tmp") // mode 0600
	if err != nil {
		return "", fmt.Errorf("config: secret %s: %w", name, err)
	}
	_, err = f.WriteString(content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("config: secret %s: %w", name, err)
	}
	return f.Name(), nil
}
