// Package ice hands browsers their STUN and TURN servers and runs the
// embedded STUN/TURN server. TURN credentials follow the TURN REST API
// scheme coturn calls use-auth-secret: the username is
// "<expiry unix time>:<user id>" and the password is
// base64(HMAC-SHA1(secret, username)), so a relay checks them with the
// shared secret alone and no password is ever stored or written into a page.
package ice

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // HMAC-SHA1 is what the TURN REST API and coturn define.
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Credential is one TURN username and password pair.
type Credential struct {
	Username string
	Password string
	Expires  time.Time
}

// NewCredential returns the credential of userID valid until expires.
func NewCredential(secret string, userID uint64, expires time.Time) Credential {
	username := strconv.FormatInt(expires.Unix(), 10) + ":" + strconv.FormatUint(userID, 10)
	return Credential{Username: username, Password: Password(secret, username), Expires: time.Unix(expires.Unix(), 0)}
}

// Password is the TURN REST API password of username.
func Password(secret, username string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// ParseUsername splits a username of our form into its expiry and user
// id. Anything else, such as a static coturn user, is refused: there are
// no static TURN accounts here.
func ParseUsername(username string) (expires time.Time, userID uint64, ok bool) {
	ts, id, found := strings.Cut(username, ":")
	if !found {
		return time.Time{}, 0, false
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return time.Time{}, 0, false
	}
	userID, err = strconv.ParseUint(id, 10, 64)
	if err != nil {
		return time.Time{}, 0, false
	}
	return time.Unix(unix, 0), userID, true
}
