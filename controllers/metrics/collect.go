package metrics

import (
	"database/sql"

	"github.com/prometheus/client_golang/prometheus"

	"callapp/controllers/ice"
	"callapp/controllers/signal"
)

var (
	wsConnections = desc("callapp_ws_connections", "Open signaling websockets, connected (User/Connect) or not.")
	onlineUsers   = desc("callapp_online_users", "Users with a connected signaling websocket.")
	wsIn          = desc("callapp_ws_messages_received_total", "Client messages read, by method (other: unknown or not JSON).", "method")
	wsOut         = desc("callapp_ws_messages_sent_total", "Envelopes written to clients, by method.", "method")
	wsErrors      = desc("callapp_ws_errors_total", "Requests refused with 10001, by reason.", "reason")
	wsCloses      = desc("callapp_ws_closes_total", "Connections the server closed, by close code (broken: the socket failed).", "code")
	slowDropped   = desc("callapp_ws_slow_clients_dropped_total", "Clients dropped for not reading their messages in time.")
	callsRinging  = desc("callapp_calls_ringing", "Calls ringing now.")
	callsActive   = desc("callapp_calls_active", "Calls accepted and not yet ended.")
	callsStarted  = desc("callapp_calls_started_total", "Invites that rang.")
	callsEnded    = desc("callapp_calls_ended_total", "Calls ended, by reason.", "reason")
	rooms         = desc("callapp_rooms", "Rooms with members now.")
	roomMembers   = desc("callapp_room_members", "Users in a room now.")
	chatMessages  = desc("callapp_chat_messages_total", "Group chat messages stored.")
	recordsQueued = desc("callapp_call_records_queued", "Call record changes waiting for the database.")
	recordsLost   = desc("callapp_call_records_dropped_total", "Call record changes lost: the queue was full, or shutdown came first.")
	liveCount     = desc("callapp_live_broadcasts", "Live broadcasts going on now.")
	liveViewers   = desc("callapp_live_viewers", "Viewers of all live broadcasts now.")
	awayUsers     = desc("callapp_away_users", "Users whose connection went while they held a call, seat or broadcast, within the resume grace.")
	statsSamples  = desc("callapp_call_stats_samples_total", "Call/Stats samples taken from the pages of calls.")
	callsRelayed  = desc("callapp_calls_relayed_total", "Calls whose media went through a TURN relay, as their pages reported.")
	callsResumed  = desc("callapp_calls_resumed_total", "Calls a party came back to within the resume grace after its connection went.")
)

var hubDescs = []*prometheus.Desc{wsConnections, onlineUsers, wsIn, wsOut, wsErrors, wsCloses, slowDropped,
	callsRinging, callsActive, callsStarted, callsEnded, chatMessages, recordsQueued, recordsLost,
	rooms, roomMembers, liveCount, liveViewers, statsSamples, callsRelayed, callsResumed, awayUsers}

func collectHub(ch chan<- prometheus.Metric, c signal.Counters) {
	ch <- gauge(wsConnections, float64(c.OpenConnections))
	ch <- gauge(onlineUsers, float64(c.OnlineUsers))
	byLabel(ch, wsIn, c.InByMethod)
	byLabel(ch, wsOut, c.OutByMethod)
	byLabel(ch, wsErrors, c.Errors)
	byLabel(ch, wsCloses, c.Closes)
	ch <- counter(slowDropped, float64(c.SlowClientsDropped))
	ch <- gauge(callsRinging, float64(c.RingingCalls))
	ch <- gauge(callsActive, float64(c.ActiveCalls))
	ch <- counter(callsStarted, float64(c.CallsStarted))
	byLabel(ch, callsEnded, c.CallsEnded)
	ch <- gauge(rooms, float64(c.Rooms))
	ch <- gauge(roomMembers, float64(c.RoomMembers))
	ch <- counter(chatMessages, float64(c.ChatMessages))
	ch <- gauge(recordsQueued, float64(c.RecordsQueued))
	ch <- counter(recordsLost, float64(c.RecordsDropped))
	ch <- gauge(liveCount, float64(c.LiveBroadcasts))
	ch <- gauge(liveViewers, float64(c.LiveViewers))
	ch <- gauge(awayUsers, float64(c.AwayUsers))
	ch <- counter(statsSamples, float64(c.StatsSamples))
	ch <- counter(callsRelayed, float64(c.CallsRelayed))
	ch <- counter(callsResumed, float64(c.CallsResumed))
}

var (
	turnAllocations = desc("callapp_turn_allocations", "TURN relay allocations open now.")
	turnUsers       = desc("callapp_turn_users", "Users with an open TURN allocation.")
	turnCreated     = desc("callapp_turn_allocations_total", "TURN allocations opened.")
	turnAuthFailed  = desc("callapp_turn_auth_failures_total", "TURN requests with expired, forged or malformed credentials.")
	turnQuota       = desc("callapp_turn_quota_refusals_total", "TURN allocations refused by a limit.")
	turnPeerDenied  = desc("callapp_turn_peer_denials_total", "TURN permissions refused by the address deny-list.")
	turnDropped     = desc("callapp_turn_dropped_packets_total", "Relayed packets dropped over the bandwidth limit.")
)

var relayDescs = []*prometheus.Desc{turnAllocations, turnUsers, turnCreated, turnAuthFailed, turnQuota, turnPeerDenied, turnDropped}

func collectRelay(ch chan<- prometheus.Metric, s ice.Stats) {
	ch <- gauge(turnAllocations, float64(s.Active))
	ch <- gauge(turnUsers, float64(s.Users))
	ch <- counter(turnCreated, float64(s.Created))
	ch <- counter(turnAuthFailed, float64(s.AuthFailures))
	ch <- counter(turnQuota, float64(s.QuotaRefusals))
	ch <- counter(turnPeerDenied, float64(s.PeerDenials))
	ch <- counter(turnDropped, float64(s.DroppedPackets))
}

var (
	dbOpen     = desc("callapp_db_connections_open", "Database connections open, in use or idle.")
	dbInUse    = desc("callapp_db_connections_in_use", "Database connections in use.")
	dbWaits    = desc("callapp_db_waits_total", "Times a query waited for a free connection.")
	dbWaitTime = desc("callapp_db_wait_seconds_total", "Time queries spent waiting for a free connection.")
)

var poolDescs = []*prometheus.Desc{dbOpen, dbInUse, dbWaits, dbWaitTime}

func collectPool(ch chan<- prometheus.Metric, s sql.DBStats) {
	ch <- gauge(dbOpen, float64(s.OpenConnections))
	ch <- gauge(dbInUse, float64(s.InUse))
	ch <- counter(dbWaits, float64(s.WaitCount))
	ch <- counter(dbWaitTime, s.WaitDuration.Seconds())
}
