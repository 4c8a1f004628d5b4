package dao_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every DAO opened and closed leaves no goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
