package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"callapp/dao"
)

// sessionCookie is the server's login cookie (controllers.SessionCookie).
const sessionCookie = "callapp_session"

// account is one logged-in user of the run.
type account struct {
	ID    uint64
	Name  string
	Token string // session cookie value
}

// accountReport says how the accounts were had.
type accountReport struct {
	Count     int           `json:"count"`
	Via       string        `json:"via"` // how users were made, and how sessions
	Elapsed   time.Duration `json:"elapsed_ns"`
	PerSecond float64       `json:"per_second"`
}

// accountNames returns the n names of the run: PREFIX00001 and on.
func accountNames(c *settings, first, n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s%05d", c.Prefix, first+i)
	}
	return names
}

// prepareAccounts logs in the accounts the workload needs, creating them
// first if they do not exist: through the HTTP API (one bcrypt each on the
// server, reused by later runs), or with -create-db in the database.
func prepareAccounts(ctx context.Context, c *settings, api *apiClient, log *slog.Logger) ([]account, accountReport, error) {
	names := accountNames(c, c.FirstAccount, c.accountsNeeded())
	start := time.Now()
	var accts []account
	var via string
	var err error
	if c.CreateDB != "" {
		accts, via, err = seedAccounts(ctx, c, api, names, log)
	} else {
		via = "http register/login"
		accts, err = api.loginAll(ctx, names, c.Concurrency, log)
	}
	el := time.Since(start)
	rep := accountReport{Count: len(accts), Via: via, Elapsed: el, PerSecond: PerSecond(int64(len(accts)), el)}
	return accts, rep, err
}

// seedAccounts inserts the missing accounts with one precomputed hash, then
// starts their sessions in the database when the server's session key is
// given, or logs them in over HTTP otherwise.
func seedAccounts(ctx context.Context, c *settings, api *apiClient, names []string, log *slog.Logger) ([]account, string, error) {
	d, err := dao.Open(dao.Options{Driver: c.DBDriver, DSN: c.CreateDB, MaxOpenConns: 4, MaxIdleConns: 4, Logger: log})
	if err != nil {
		return nil, "", err
	}
	defer d.Close()
	hash, err := bcrypt.GenerateFromPassword([]byte(c.Password), c.BcryptCost)
	if err != nil {
		return nil, "", err
	}
	log.Info("seeding accounts in the database", "count", len(names), "db", c.CreateDB)
	users, err := d.EnsureUsers(ctx, names, hash)
	if err != nil {
		return nil, "", err
	}
	if c.SessionKeyFile == "" {
		accts, err := api.loginAll(ctx, names, c.Concurrency, log)
		return accts, "database users, http logins", err
	}
	raw, err := os.ReadFile(c.SessionKeyFile)
	if err != nil {
		return nil, "", fmt.Errorf("session key: %w", err)
	}
	// The server trims the key file the same way (config.readSecret).
	sessions := dao.NewSessions(d, strings.TrimSpace(string(raw)), 24*time.Hour)
	accts := make([]account, len(users))
	for i, u := range users {
		token, _, err := sessions.Create(ctx, u.ID, "127.0.0.1", "callapp-loadtest")
		if err != nil {
			return nil, "", err
		}
		accts[i] = account{ID: u.ID, Name: u.Username, Token: token}
	}
	return accts, "database users and sessions", nil
}

// apiClient talks to the server's HTTP API.
type apiClient struct {
	base     string
	password string // shared by every account
	http     *http.Client
}

func newAPIClient(c *settings) *apiClient {
	tr := &http.Transport{
		MaxIdleConns: c.Concurrency + c.LoginFlood, MaxIdleConnsPerHost: c.Concurrency + c.LoginFlood,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: c.Insecure}, //nolint:gosec // only with -insecure, for self-signed test servers
	}
	// Logins queue behind the server's capped bcrypt: give them time.
	return &apiClient{base: c.URLs[0], password: c.Password, http: &http.Client{Transport: tr, Timeout: 2 * time.Minute}}
}

// errThrottled means the server answered 429 to a login.
var errThrottled = errors.New("login throttled (429): too many failed or concurrent logins from this address (raise CALLAPP_LOGIN_MAX_IP_FAILURES), or the server's bcrypt queue is full; restart the server or wait")

// loginAll logs every name in, creating the accounts that do not exist.
// Whether the first name logs in decides the order tried for all: login
// first when the accounts are there from an earlier run, register first
// otherwise, because each login of a missing name counts as a failure
// towards the server's per-address throttle.
func (a *apiClient) loginAll(ctx context.Context, names []string, concurrency int, log *slog.Logger) ([]account, error) {
	accts := make([]account, len(names))
	if len(names) == 0 {
		return accts, nil
	}
	first, status, err := a.auth(ctx, "login", names[0])
	registerFirst := status == http.StatusUnauthorized
	if err != nil && !registerFirst {
		return nil, err
	}
	log.Info("logging in over HTTP", "count", len(names), "register_first", registerFirst)
	var next, done atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, concurrency)
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(names) && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				if i == 0 && !registerFirst {
					accts[0] = first
					continue
				}
				acct, err := a.loginOrRegister(ctx, names[i], registerFirst)
				if err != nil {
					errc <- err
					return
				}
				accts[i] = acct
				if n := done.Add(1); n%500 == 0 {
					log.Info("accounts ready", "count", n)
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return nil, err
	}
	return accts, ctx.Err()
}

func (a *apiClient) loginOrRegister(ctx context.Context, name string, registerFirst bool) (account, error) {
	steps := []string{"login", "register"}
	fallback := http.StatusUnauthorized
	if registerFirst {
		steps[0], steps[1], fallback = "register", "login", http.StatusConflict
	}
	acct, status, err := a.auth(ctx, steps[0], name)
	if err == nil || status != fallback {
		return acct, err
	}
	acct, _, err = a.auth(ctx, steps[1], name)
	return acct, err
}

// auth posts to /webrtc/login or /webrtc/register and returns the account
// with its session cookie, or the status it got instead.
func (a *apiClient) auth(ctx context.Context, action, name string) (account, int, error) {
	body, _ := json.Marshal(map[string]string{"username": name, "password": a.password})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+"/webrtc/"+action, bytes.NewReader(body))
	if err != nil {
		return account{}, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		return account{}, 0, fmt.Errorf("%s %s: %w", action, name, err)
	}
	defer resp.Body.Close()
	var out struct {
		Message string `json:"message"`
		Data    struct {
			ID       uint64 `json:"id"`
			Username string `json:"username"`
		} `json:"data"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&out)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return account{}, resp.StatusCode, errThrottled
	case resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated:
		return account{}, resp.StatusCode, fmt.Errorf("%s %s: %d %s", action, name, resp.StatusCode, out.Message)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie && ck.Value != "" {
			return account{ID: out.Data.ID, Name: out.Data.Username, Token: ck.Value}, resp.StatusCode, nil
		}
	}
	return account{}, resp.StatusCode, fmt.Errorf("%s %s: no %s cookie in the answer", action, name, sessionCookie)
}
