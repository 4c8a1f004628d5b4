package dao_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every DAO opened and closed leaves no goroutine behind: GORM's
// prepared-statement cache starts a sweeper it cannot stop unless its TTL
// is the "no eviction" one (see Open).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
