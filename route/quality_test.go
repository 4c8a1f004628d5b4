package route_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"callapp/controllers/signal"
	"callapp/models"
	"callapp/route/apptest"
)

// callBetween has caller invite callee, who accepts; it returns the callId.
func callBetween(t *testing.T, caller, callee *websocket.Conn, calleeID uint64) string {
	t.Helper()
	if err := caller.WriteJSON(map[string]any{"method": models.MethodInvite, "toId": calleeID}); err != nil {
		t.Fatal(err)
	}
	var in models.IncomingCall
	if err := json.Unmarshal(await(t, callee, models.CodeIncomingCall).Data, &in); err != nil {
		t.Fatal(err)
	}
	if err := callee.WriteJSON(map[string]any{"method": models.MethodAccept, "toId": in.FromID, "data": models.CallRef{CallID: in.CallID}}); err != nil {
		t.Fatal(err)
	}
	await(t, caller, models.CodeCallAccepted)
	return in.CallID
}

// TestAdminSeesCallQuality: the quality the pages report shows in the
// admin's call list, the day's summary and the metrics, to admins only.
func TestAdminSeesCallQuality(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		a := &app{App: apptest.Start(t, apptest.Driver(driver),
			apptest.Hub(func(o *signal.Options) { o.StatsGrace = 50 * time.Millisecond })), t: t}
		admin, bob := a.Register("alice"), a.Register("bob")
		aliceWS, bobWS := a.connect(admin), a.connect(bob)
		await(t, aliceWS, models.CodeUserOnline)

		good := callBetween(t, aliceWS, bobWS, 2)
		setup := 800.0
		stats := models.CallStats{CallID: good, RTTMs: 42, LossPct: 1.5, JitterMs: 2, KbpsIn: 1200, KbpsOut: 1100, Path: "relay", SetupMs: &setup}
		must(t, aliceWS.WriteJSON(map[string]any{"method": models.MethodCallStats, "data": stats}))
		must(t, aliceWS.WriteJSON(map[string]any{"method": models.MethodHangup, "toId": 2, "data": models.CallRef{CallID: good}}))
		await(t, bobWS, models.CodeCallEnded)

		failed := callBetween(t, bobWS, aliceWS, 1) // no frame ever came: no set-up time
		must(t, bobWS.WriteJSON(map[string]any{"method": models.MethodHangup, "toId": 1,
			"data": models.CallRef{CallID: failed, Reason: models.CallMediaFailed}}))
		var ended models.CallPeerEvent
		must(t, json.Unmarshal(await(t, aliceWS, models.CodeCallEnded).Data, &ended))
		if ended.Reason != models.CallMediaFailed {
			t.Errorf("alice told %+v", ended)
		}

		var calls []struct {
			ID        string
			EndReason string
			Quality   models.CallQuality
		}
		deadline := time.Now().Add(5 * time.Second)
		for len(calls) < 2 || calls[1].Quality.Samples == 0 || calls[0].EndReason == "" {
			if time.Now().After(deadline) {
				t.Fatalf("admin calls never showed the quality: %+v", calls)
			}
			time.Sleep(20 * time.Millisecond)
			must(t, json.Unmarshal(a.Do(admin, "GET", "/webrtc/api/admin/calls", "", "").Data, &calls))
		}
		q := calls[1].Quality // newest first
		if calls[1].ID != good || q.Samples != 1 || *q.RTTMedianMs != 42 || *q.LossWorstPct != 1.5 || !q.UsedRelay || *q.SetupMs != 800 {
			t.Errorf("admin sees %+v", calls[1])
		}
		if calls[0].ID != failed || calls[0].EndReason != models.CallMediaFailed || calls[0].Quality.Samples != 0 {
			t.Errorf("the failed call shows as %+v", calls[0])
		}

		var sum models.QualitySummary
		r := a.Do(admin, "GET", "/webrtc/api/admin/calls/quality", "", "")
		must(t, json.Unmarshal(r.Data, &sum))
		if r.Status != http.StatusOK || sum.Answered != 2 || sum.RelayShare != 0.5 || sum.FailedShare != 0.5 ||
			sum.ResumedShare != 0 || sum.SetupMedianMs == nil || *sum.SetupMedianMs != 800 {
			t.Errorf("summary %d %s", r.Status, r.Data)
		}

		for _, path := range []string{"/webrtc/api/admin/calls", "/webrtc/api/admin/calls/quality"} {
			if r := a.Do(bob, "GET", path, "", ""); r.Status != http.StatusForbidden || len(r.Data) > 0 && string(r.Data) != "null" {
				t.Errorf("bob gets %s: %d %s", path, r.Status, r.Data)
			}
		}
		if r := a.Do(bob, "GET", "/webrtc/api/calls", "", ""); contains(string(r.Data), "quality") || contains(string(r.Data), "rtt") {
			t.Errorf("bob's own history shows the quality: %s", r.Data)
		}

		_, body := a.scrape(admin)
		for name, want := range map[string]float64{
			"callapp_call_stats_samples_total": 1, "callapp_calls_relayed_total": 1,
			`callapp_calls_ended_total{reason="media_failed"}`: 1, "callapp_call_setup_seconds_count": 1,
			`callapp_call_setup_seconds_bucket{le="0.4"}`: 0, `callapp_call_setup_seconds_bucket{le="0.8"}`: 1,
		} {
			if got := sample(body, name); got != want {
				t.Errorf("%s = %v, want %v", name, got, want)
			}
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
