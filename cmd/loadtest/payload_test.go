package main

import (
	"encoding/json"
	"testing"
)

func TestMarkerRoundTripThroughJSON(t *testing.T) {
	want := stamp{phase: 3, seq: 123456, sent: 987654321012}
	text := string(appendMarker([]byte("hello "), want)) + " world"
	// The server re-encodes chat text and passes relay data through; both
	// leave the marker as it was.
	env, _ := json.Marshal(map[string]any{"code": 10005, "data": map[string]any{"message": text}})
	got, ok := findMarker(env)
	if !ok || got != want {
		t.Errorf("findMarker(%s) = %+v, %v; want %+v", env, got, ok, want)
	}
}

func TestFindMarkerRejectsBroken(t *testing.T) {
	for _, msg := range []string{"", "no marker", "~lt~", "~lt~1.2", "~lt~1.2.3", "~lt~1.2.3.", "~lt~a.2.3~", "~lt~1..3~"} {
		if s, ok := findMarker([]byte(msg)); ok {
			t.Errorf("findMarker(%q) = %+v, want not found", msg, s)
		}
	}
}

func TestEnvelopeCodeAndReason(t *testing.T) {
	msg := []byte(`{"method":"Message/Offer","type":0,"message":"say \"code\":1","code":10001,"data":{"method":"Message/Offer","reason":"rate_limited"}}`)
	if got := envelopeCode(msg); got != 10001 {
		t.Errorf("envelopeCode = %d", got)
	}
	if got := envelopeReason(msg); got != "rate_limited" {
		t.Errorf("envelopeReason = %q", got)
	}
	for _, bad := range []string{`{}`, `{"code":"x"}`, `not json`} {
		if got := envelopeCode([]byte(bad)); got != 0 {
			t.Errorf("envelopeCode(%s) = %d, want 0", bad, got)
		}
	}
	if got := envelopeReason([]byte(`{"code":10002}`)); got != "" {
		t.Errorf("no reason: %q", got)
	}
}

func TestPresenceItems(t *testing.T) {
	cases := map[string]int64{
		`{"code":10018,"data":{"online":[{"id":1,"username":"a","status":"online"},{"id":2,"username":"b","status":"in_call"}],"offline":[7,8,9],"status":[{"id":3,"status":"in_call"}]}}`: 6,
		`{"code":10018,"data":{"online":[],"offline":[],"status":[]}}`:                0,
		`{"code":10018,"data":{"online":[],"offline":[42],"status":[]}}`:              1,
		`{"code":10018,"data":{"status":[{"id":3,"status":"online"}],"offline":[ ]}}`: 1,
	}
	for msg, want := range cases {
		if got := presenceItems([]byte(msg)); got != want {
			t.Errorf("presenceItems(%s) = %d, want %d", msg, got, want)
		}
	}
}
