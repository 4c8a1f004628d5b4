package config

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeListsEverySetting keeps the README's configuration table in
// step with the options the server reads.
func TestReadmeListsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range options {
		if !strings.Contains(string(readme), "`"+o.key+"`") {
			t.Errorf("README.md does not document CALLAPP_%s", o.key)
		}
	}
}
