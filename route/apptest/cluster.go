package apptest

import (
	"fmt"
	"testing"

	"callapp/config"
	"callapp/dao"
	"callapp/dao/daotest"
)

// The secrets every node of a test cluster shares, as an operator's nodes
// share theirs: a cookie one node issued works on every node.
const (
	ClusterSessionKey = "apptest-cluster-session-key-0123456789abcdef"
	ClusterTURNSecret = "apptest-cluster-turn-secret-0123456789abcdef"
)

// Cluster makes the app a node of the cluster whose shared state is under
// prefix in the Redis at url (clustertest.Redis gives both), named node
// (NODE_ID), with the secrets every node shares and the shortest
// CLUSTER_OFFLINE_BOUND, which Config may change. The nodes must share a
// database too (Database).
func Cluster(url, prefix, node string) Option {
	return func(s *setup) {
		s.config = append([]func(*config.Config){func(c *config.Config) {
			c.RedisURL, c.RedisPrefix, c.NodeID = url, prefix, node
			c.SessionKey, c.TURNSecret = ClusterSessionKey, ClusterTURNSecret
			c.ClusterOfflineBound = config.ClusterOfflineBoundMin
		}}, s.config...)
	}
}

// Database runs the app on the database o opens, which other apps of the
// test may share (daotest.Options makes a fresh one): the app opens a pool
// of its own, as a process of its own would, and closes it when the test
// ends.
func Database(o dao.Options) Option {
	return func(s *setup) { s.dbOpts = &o }
}

// Nodes starts n apps, node1 to noden, as nodes of one cluster: one Redis
// prefix, and one fresh database of driver that they share. opts apply to
// every node. Each node is up (joined) when Nodes returns.
func Nodes(t testing.TB, n int, driver, url, prefix string, opts ...Option) []*App {
	t.Helper()
	db := daotest.Options(t, driver)
	apps := make([]*App, n)
	for i := range apps {
		node := append([]Option{Database(db), Cluster(url, prefix, fmt.Sprintf("node%d", i+1))}, opts...)
		apps[i] = Start(t, node...)
	}
	return apps
}

// Kill stops the app as SIGKILL would a process: the node abandons the
// cluster without leaving it and drops every socket without a goodbye
// (route.App.Kill, which then releases the app), and its listener closes.
func (a *App) Kill() {
	a.App.Kill()
	a.Server.CloseClientConnections()
	a.Server.Listener.Close()
}
