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
// 256-bit one (mode 0600) on first use.
func LoadOrCreateSecret(dir, name string) (string, error) {
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("config: secret %s: %w", name, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("config: data folder: %w", err)
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	secret := base64.RawURLEncoding.EncodeToString(raw)
	// O_EXCL: a second process starting at the same time must not
	// overwrite the secret the first one already uses.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadOrCreateSecret(dir, name)
	}
	if err != nil {
		return "", fmt.Errorf("config: secret %s: %w", name, err)
	}
	defer f.Close()
	if _, err := f.WriteString(secret + "\n"); err != nil {
		return "", fmt.Errorf("config: secret %s: %w", name, err)
	}
	return secret, nil
}
