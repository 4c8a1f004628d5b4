package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/pion/stun/v4"

	"callapp/models"
)

// iceServers registers a user on the app at addr and returns what
// GET /webrtc/api/ice-servers gives them.
func iceServers(t *testing.T, addr string) []models.ICEServer {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	res, err := c.Post("http://"+addr+"/webrtc/register", "application/json",
		strings.NewReader(`{"username":"alice","password":"password-alice"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res, err = c.Get("http://" + addr + "/webrtc/api/ice-servers"); err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Data struct {
			ICEServers []models.ICEServer `json:"iceServers"`
		} `json:"data"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("ice-servers: %d %v", res.StatusCode, err)
	}
	return body.Data.ICEServers
}

// TestRunStartsTURN: by default the app runs its TURN server, on loopback
// like its HTTP server, and hands its URLs out with credentials.
func TestRunStartsTURN(t *testing.T) {
	addr := startApp(t).addr
	servers := iceServers(t, addr)
	if len(servers) != 2 || len(servers[1].URLs) != 2 || servers[1].Username == "" {
		t.Fatalf("ice servers: %+v", servers)
	}
	stunAddr := strings.TrimPrefix(servers[0].URLs[0], "stun:")
	if !strings.HasPrefix(stunAddr, "127.0.0.1:") {
		t.Fatalf("STUN on %q, want loopback", stunAddr)
	}
	conn, err := net.Dial("udp4", stunAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(stun.MustBuild(stun.TransactionID, stun.BindingRequest).Raw); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1500)
	n, err := conn.Read(buf)
	res := &stun.Message{Raw: buf[:n]}
	if err != nil || res.Decode() != nil || res.Type != stun.BindingSuccess {
		t.Errorf("STUN binding: %v %v", res.Type, err)
	}
}

// TestRunExternalTURN: with TURN_URLS the app hands out those servers with
// credentials of the shared secret, and no server of its own.
func TestRunExternalTURN(t *testing.T) {
	addr := startApp(t, "CALLAPP_TURN_URLS=turns:turn.example.com:5349?transport=tcp",
		"CALLAPP_TURN_SECRET=shared-with-coturn-0123", "CALLAPP_STUN_URLS=stun:stun.example.com:3478").addr
	servers := iceServers(t, addr)
	if len(servers) != 2 || servers[0].URLs[0] != "stun:stun.example.com:3478" ||
		servers[1].URLs[0] != "turns:turn.example.com:5349?transport=tcp" || servers[1].Credential == "" {
		t.Errorf("ice servers: %+v", servers)
	}
}
