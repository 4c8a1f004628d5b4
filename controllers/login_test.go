package controllers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"callapp/dao"
	"callapp/models"
)

// fakeAccounts knows one account, "alice" with password right. Each check
// is logged, then waits for gate when there is one.
type fakeAccounts struct {
	right  string
	err    error         // when set, every check and registration fails with it
	gate   chan struct{} // nil: checks do not wait
	checks atomic.Int32
	log    func(string) // nil logs nothing
}

func (f *fakeAccounts) CheckPassword(ctx context.Context, _, pw string) (*models.User, error) {
	f.checks.Add(1)
	if f.log != nil {
		f.log("check")
	}
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	switch {
	case f.err != nil:
		return nil, f.err
	case pw != f.right:
		return nil, dao.ErrBadCredentials
	}
	return &models.User{ID: 1, Username: "alice", Role: models.RoleUser}, nil
}

func (f *fakeAccounts) CreateUserWithSession(_ context.Context, cred models.Credentials, _ *models.Session) (*models.User, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &models.User{ID: 2, Username: cred.Username, Role: models.RoleUser}, nil
}

type fakeSessions struct{}

func (fakeSessions) Create(context.Context, uint64, string, string) (string, time.Time, error) {
	return "token", time.Now().Add(time.Hour), nil
}
func (fakeSessions) Lookup(context.Context, string) (*models.User, models.SessionRef, error) {
	return nil, models.SessionRef{}, dao.ErrNotFound
}
func (fakeSessions) Delete(context.Context, string) error { return nil }
func (fakeSessions) Prepare(string, string) (string, *models.Session) {
	return "token", &models.Session{ExpiresAt: time.Now().Add(time.Hour)}
}

// loginCounts is the metrics hook, counting by result.
type loginCounts struct {
	mu sync.Mutex
	n  map[string]int
}

func (l *loginCounts) Login(result string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == nil {
		l.n = map[string]int{}
	}
	l.n[result]++
}

// authServer routes /login and /register to a handler over acc and th.
func authServer(acc accountStore, th *Throttle, logins loginCounter) *gin.Engine {
	h := &AuthHandler{Accounts: acc, Sessions: fakeSessions{}, Throttle: th, Logins: logins,
		RegistrationOpen: true, Log: discard}
	r := handlerRouter()
	r.POST("/login", h.Login)
	r.POST("/register", h.Register)
	return r
}

// postLogin sends credentials from ip and returns the answer.
func postLogin(r http.Handler, path, user, pw, ip string) *httptest.ResponseRecorder {
	body, _ := json.Marshal(map[string]string{"username": user, "password": pw})
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = ip + ":40000"
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

func message(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var res Response
	if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
		t.Fatalf("answer %q: %v", w.Body, err)
	}
	return res.Message
}

// 36 parallel wrong guesses at one account from one address while the
// checks are held: 5 are checked and 31 refused at once; the right
// password as guess 37 is refused too, never checked.
func TestParallelGuessesCheckAtMostTheLimit(t *testing.T) {
	acc := &fakeAccounts{right: "right password", gate: make(chan struct{})}
	var openGate sync.Once
	t.Cleanup(func() { openGate.Do(func() { close(acc.gate) }) })
	r := authServer(acc, NewThrottle(limits(5, 20, 15*time.Minute)), nil)
	results := make(chan int, 40)
	for range 36 {
		go func() { results <- postLogin(r, "/login", "alice", "wrong password", "192.0.2.1").Code }()
	}
	deadline := time.After(10 * time.Second)
	for refused := 0; refused < 31; {
		select {
		case code := <-results:
			if code != http.StatusTooManyRequests {
				t.Fatalf("a guess answered %d while 5 checks were held, want 429", code)
			}
			refused++
		case <-deadline:
			t.Fatalf("%d guesses refused and %d checked, want 31 and 5", refused, acc.checks.Load())
		}
	}
	right := make(chan *httptest.ResponseRecorder, 1)
	go func() { right <- postLogin(r, "/login", "alice", "right password", "192.0.2.1") }()
	select {
	case w := <-right:
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
			t.Errorf("the right password after the limit: %d %q, want 429 with Retry-After", w.Code, w.Body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the right password after the limit went on to the password check")
	}
	openGate.Do(func() { close(acc.gate) })
	for range 5 {
		if code := <-results; code != http.StatusUnauthorized {
			t.Errorf("a checked wrong guess: %d, want 401", code)
		}
	}
	if n := acc.checks.Load(); n != 5 {
		t.Errorf("%d passwords checked, want the limit 5", n)
	}
}

// Past the account's ceiling a login waits before its password is checked
// (so the wait holds no hashing slot), then is checked: the owner gets in
// from a new address. A client that leaves during the wait is not checked
// and not counted.
func TestAccountCeilingDelaysBeforeTheCheck(t *testing.T) {
	var mu sync.Mutex
	var events []string
	logEvent := func(e string) { mu.Lock(); events = append(events, e); mu.Unlock() }
	lim := limits(5, 20, 15*time.Minute)
	lim.SlowAfter, lim.MaxDelay = 2, time.Second
	th := NewThrottle(lim)
	leave := false
	th.sleep = func(_ context.Context, d time.Duration) error {
		logEvent(fmt.Sprint("wait ", d))
		if leave {
			return context.Canceled
		}
		return nil
	}
	acc := &fakeAccounts{right: "right password", log: logEvent}
	r := authServer(acc, th, nil)
	for _, ip := range []string{"10.0.0.1", "10.0.0.2"} {
		if w := postLogin(r, "/login", "alice", "wrong password", ip); w.Code != http.StatusUnauthorized {
			t.Fatalf("failure from %s: %d", ip, w.Code)
		}
	}
	if w := postLogin(r, "/login", "alice", "right password", "10.0.0.3"); w.Code != http.StatusOK {
		t.Errorf("the owner from a new address past the ceiling: %d %q, want 200 after a delay", w.Code, w.Body)
	}
	leave = true
	if w := postLogin(r, "/login", "alice", "wrong password", "10.0.0.4"); w.Code != http.StatusRequestTimeout {
		t.Errorf("a client that left during the delay: %d, want 408", w.Code)
	}
	leave = false
	postLogin(r, "/login", "alice", "wrong password", "10.0.0.5")
	want := "check check wait 100ms check wait 100ms wait 100ms check"
	if got := strings.Join(events, " "); got != want {
		t.Errorf("events %q, want %q: the wait comes first, and neither the success nor the left client counts", got, want)
	}
}

// A full hashing queue answers 429 with Retry-After at once, counted as
// throttled, and does not use up the caller's allowance.
func TestHashQueueFullAnswers429(t *testing.T) {
	acc := &fakeAccounts{right: "right password", err: fmt.Errorf("dao: check password: %w", dao.ErrBusy)}
	logins := &loginCounts{}
	r := authServer(acc, NewThrottle(limits(1, 20, 15*time.Minute)), logins)
	for _, path := range []string{"/login", "/register"} {
		w := postLogin(r, path, "alice", "right password", "192.0.2.9")
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" || message(t, w) != busyMessage {
			t.Errorf("%s with the hashing queue full: %d Retry-After %q %q, want 429, 1, %q",
				path, w.Code, w.Header().Get("Retry-After"), w.Body, busyMessage)
		}
	}
	if logins.n[LoginThrottled] != 1 {
		t.Errorf("login counts %v, want one throttled", logins.n)
	}
	acc.err = nil
	if w := postLogin(r, "/login", "alice", "right password", "192.0.2.9"); w.Code != http.StatusOK {
		t.Errorf("login once the queue has room: %d %q, want 200 (the busy answer is no failure)", w.Code, w.Body)
	}
}

// Other errors release the attempt too: a database failure is not a guess.
func TestLoginErrorIsNoFailure(t *testing.T) {
	acc := &fakeAccounts{right: "right password", err: errors.New("dao: user by name: connection refused")}
	r := authServer(acc, NewThrottle(limits(1, 20, 15*time.Minute)), nil)
	if w := postLogin(r, "/login", "alice", "wrong password", "192.0.2.9"); w.Code != http.StatusInternalServerError {
		t.Fatalf("database failure: %d", w.Code)
	}
	acc.err = nil
	if w := postLogin(r, "/login", "alice", "right password", "192.0.2.9"); w.Code != http.StatusOK {
		t.Errorf("login after a database failure: %d, want 200", w.Code)
	}
}
