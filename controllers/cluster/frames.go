package cluster

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// frameQueue bounds the frames waiting to be published; past it, Send
// drops, as a hub drops a client too slow to keep up. frameBatch bounds
// the PUBLISHes of one round trip.
const (
	frameQueue = 4096
	frameBatch = 256
)

type outFrame struct {
	channel string
	payload []byte
}

// Send implements signal.Cluster. frame is published later: the caller
// must not change it after.
func (r *Redis) Send(node string, frame []byte) bool {
	if !r.Health().Up {
		return false
	}
	select {
	case r.frames <- outFrame{r.keys.channel(node), frame}:
		return true
	default:
		return false
	}
}

// publish drains the queue, everything waiting in one pipeline.
func (r *Redis) publish() {
	defer r.loops.Done()
	batch := make([]outFrame, 0, frameBatch)
	for {
		select {
		case <-r.ctx.Done():
			return
		case f := <-r.frames:
			batch = append(batch[:0], f)
		}
	more:
		for len(batch) < frameBatch {
			select {
			case f := <-r.frames:
				batch = append(batch, f)
			default:
				break more
			}
		}
		r.publishBatch(batch)
		clear(batch) // let the payloads go
	}
}

func (r *Redis) publishBatch(batch []outFrame) {
	ctx, cancel := context.WithTimeout(r.ctx, r.o.Timeout)
	defer cancel()
	pipe := r.rdb.Pipeline()
	for _, f := range batch {
		pipe.Publish(ctx, f.channel, f.payload)
	}
	cmds, err := pipe.Exec(ctx)
	if err == nil || r.ctx.Err() != nil {
		return
	}
	lost := 0
	for _, c := range cmds {
		if c.Err() != nil {
			lost++
		}
	}
	r.lost.Add(uint64(lost))
	r.down("redis unavailable: " + err.Error())
}

// subscribe listens on this node's channel, and waits until Redis
// confirms it.
func (r *Redis) subscribe(ctx context.Context) error {
	r.ps = r.rdb.Subscribe(ctx, r.keys.channel(r.node))
	msg, err := r.ps.ReceiveTimeout(ctx, r.o.Timeout)
	if err != nil {
		return fmt.Errorf("cluster: subscribe: %w", err)
	}
	if _, ok := msg.(*redis.Subscription); !ok {
		return fmt.Errorf("cluster: subscribe: unexpected %T", msg)
	}
	return nil
}

// receive hands the frames of this node's channel to the hub. After an
// error, the next Receive connects again and subscribes anew; frames
// sent meanwhile are lost. Until Redis confirms the new subscription the
// node is not listening, and the reader keeps its health down: the other
// nodes' frames to it would be lost too.
func (r *Redis) receive() {
	defer r.reads.Done()
	for {
		msg, err := r.ps.Receive(r.ctx)
		if r.ctx.Err() != nil {
			return
		}
		if err != nil {
			r.setListening(false)
			r.down("redis unavailable: " + err.Error())
			r.pause(r.every)
			continue
		}
		switch m := msg.(type) {
		case *redis.Message:
			r.in.Frame([]byte(m.Payload))
		case *redis.Subscription:
			r.setListening(m.Kind == "subscribe")
		}
	}
}

func (r *Redis) setListening(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.listening = on
}

// errNotListening is the reader's life check failing while the
// subscriber has not subscribed again.
var errNotListening = errors.New("this node's channel is not subscribed yet")
