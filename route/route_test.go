package route_test

import (
	"os"
	"testing"

	"github.com/gin-gonic/gin"

	"callapp/config"
	"callapp/dao"
	"callapp/dao/daotest"
	"callapp/route/apptest"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

// app is the whole app over a fresh database, served on loopback, with the
// helpers of this package's tests.
type app struct {
	*apptest.App
	t *testing.T
}

// newApp starts the app on a fresh database of driver with the settings
// tweak changes (nil: the test defaults).
func newApp(t *testing.T, driver string, tweak func(*config.Config)) *app {
	t.Helper()
	return &app{App: apptest.Start(t, apptest.Driver(driver), apptest.Config(tweak)), t: t}
}

// newAppOn is newApp over a database the test opened.
func newAppOn(t *testing.T, db *dao.DAO, tweak func(*config.Config)) *app {
	t.Helper()
	return &app{App: apptest.Start(t, apptest.DB(db), apptest.Config(tweak)), t: t}
}

type reply = apptest.Reply

func cred(user, pw string) map[string]string { return apptest.Cred(user, pw) }

func forEachDriver(t *testing.T, fn func(t *testing.T, driver string)) {
	for _, driver := range daotest.Drivers(t) {
		t.Run(driver, func(t *testing.T) { fn(t, driver) })
	}
}
