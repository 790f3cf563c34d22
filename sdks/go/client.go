// Package hookd is hookd's client for the platform's backend: send events (with an idempotency key by default, so
// a retried send never makes a second event), manage an account's webhooks, read and retry deliveries, open portal
// sessions, and, with the admin token, manage accounts. Lists are iterators that follow next_cursor. Standard
// library only; versioned with the server.
//
//	client := hookd.New("https://hookd.internal", "hk_…")
//	accepted, err := client.SendEvent(ctx, "task.completed", map[string]any{"task_id": "t_1"}, nil)
package hookd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Version is the hookd release this client speaks to.
const Version = "0.1.0"

const api = "/api/v1"

// Client calls one hookd. Its fields may be changed before the first call.
type Client struct {
	BaseURL    string
	Credential string // an account's API key (hk_…) or the admin token (then set AccountID, or use ForAccount)
	AccountID  string
	HTTPClient *http.Client
	MaxRetries int           // retries of 429/503 and of unanswered safe calls
	MaxWait    time.Duration // the longest Retry-After honoured
	Sleep      func(ctx context.Context, d time.Duration) error
}

// New is a client with a 10 s timeout, 3 retries and waits of at most 30 s.
func New(baseURL, credential string) *Client {
	return &Client{BaseURL: baseURL, Credential: credential, HTTPClient: &http.Client{Timeout: 10 * time.Second},
		MaxRetries: 3, MaxWait: 30 * time.Second, Sleep: sleepContext}
}

// ForAccount is the same client acting for accountID (with the admin token).
func (c *Client) ForAccount(accountID string) *Client {
	copied := *c
	copied.AccountID = accountID
	return &copied
}

// NewIdempotencyKey is a fresh random key.
func NewIdempotencyKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "idem_" + hex.EncodeToString(b)
}

func (c *Client) values(pairs ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			v.Set(pairs[i], pairs[i+1])
		}
	}
	if c.AccountID != "" {
		v.Set("account_id", c.AccountID)
	}
	return v
}

func (c *Client) body(fields map[string]any) map[string]any {
	for k, v := range fields {
		if v == nil || v == "" {
			delete(fields, k)
		}
	}
	if c.AccountID != "" {
		fields["account_id"] = c.AccountID
	}
	return fields
}

// SendOptions are an event's optional fields. A nil *SendOptions is none.
type SendOptions struct {
	Environment    string
	Metadata       map[string]any
	IdempotencyKey string // generated when empty: a retried send with the same key returns the first event
}

// SendEvent accepts one event.
func (c *Client) SendEvent(ctx context.Context, eventType string, data any, opts *SendOptions) (*AcceptedEvent, error) {
	if opts == nil {
		opts = &SendOptions{}
	}
	key := opts.IdempotencyKey
	if key == "" {
		key = NewIdempotencyKey()
	}
	if data == nil {
		data = map[string]any{}
	}
	body := c.body(map[string]any{"type": eventType, "data": data, "environment": opts.Environment})
	if opts.Metadata != nil {
		body["metadata"] = opts.Metadata
	}
	var out AcceptedEvent
	err := c.do(ctx, call{method: "POST", path: api + "/events", body: body,
		headers: map[string]string{"Idempotency-Key": key}, retryUnanswered: true}, &out)
	return &out, err
}

// BatchEvent is one event of SendEvents.
type BatchEvent struct {
	Type           string         `json:"type"`
	Data           any            `json:"data"`
	Environment    string         `json:"environment,omitempty"`
	Metadata       map[string]any `json:"metadata,omitempty"`
	IdempotencyKey string         `json:"idempotency_key"`
}

// SendEvents accepts up to 1,000 events in one call; each without a key gets one.
func (c *Client) SendEvents(ctx context.Context, events []BatchEvent) ([]AcceptedEvent, error) {
	items := make([]BatchEvent, len(events))
	for i, e := range events {
		if e.IdempotencyKey == "" {
			e.IdempotencyKey = NewIdempotencyKey()
		}
		if e.Data == nil {
			e.Data = map[string]any{}
		}
		items[i] = e
	}
	var out struct {
		Data []AcceptedEvent `json:"data"`
	}
	err := c.do(ctx, call{method: "POST", path: api + "/events/batch", body: c.body(map[string]any{"events": items}),
		retryUnanswered: true}, &out)
	return out.Data, err
}

// GetEvent is the event with its deliveries.
func (c *Client) GetEvent(ctx context.Context, id string) (*Event, error) {
	var out Event
	err := c.do(ctx, call{method: "GET", path: api + "/events/" + url.PathEscape(id), query: c.values()}, &out)
	return &out, err
}

// ListEvents pages through the account's events, newest first (filters: type, since, until).
func (c *Client) ListEvents(eventType, since, until string, limit int) *Iter[Event] {
	return newIter[Event](c, api+"/events", c.values("type", eventType, "since", since, "until", until), limit)
}

// ReplayEvent delivers the event again: to webhookID, or (empty) to every webhook subscribed to it now.
func (c *Client) ReplayEvent(ctx context.Context, id, webhookID string) error {
	return c.do(ctx, call{method: "POST", path: api + "/events/" + url.PathEscape(id) + "/replay",
		body: c.body(map[string]any{"webhook_id": webhookID})}, nil)
}

// GetDelivery is the delivery with every attempt's request and response.
func (c *Client) GetDelivery(ctx context.Context, id string) (*Delivery, error) {
	var out Delivery
	err := c.do(ctx, call{method: "GET", path: api + "/deliveries/" + url.PathEscape(id), query: c.values()}, &out)
	return &out, err
}

// ListDeliveries pages through deliveries (filters: webhook_id, status, event_type, since, until).
func (c *Client) ListDeliveries(webhookID, status string, limit int) *Iter[Delivery] {
	return newIter[Delivery](c, api+"/deliveries", c.values("webhook_id", webhookID, "status", status), limit)
}

// RetryDelivery attempts a failed or dead delivery again now (ErrConflict if it succeeded or is still pending).
func (c *Client) RetryDelivery(ctx context.Context, id string) (*Delivery, error) {
	var out Delivery
	err := c.do(ctx, call{method: "POST", path: api + "/deliveries/" + url.PathEscape(id) + "/retry",
		body: c.body(map[string]any{})}, &out)
	return &out, err
}

// CreatePortalSession is a short-lived sign-in to the web UI for the account: send the browser to its URL.
// ttl ("1h"), access ("manage" or "read") and returnURL may be empty.
func (c *Client) CreatePortalSession(ctx context.Context, ttl, access, returnURL string) (*PortalSession, error) {
	var out PortalSession
	err := c.do(ctx, call{method: "POST", path: api + "/portal-sessions",
		body: c.body(map[string]any{"ttl": ttl, "access": access, "return_url": returnURL})}, &out)
	return &out, err
}

// RevokePortalSession ends a portal session at once.
func (c *Client) RevokePortalSession(ctx context.Context, id string) error {
	return c.do(ctx, call{method: "DELETE", path: api + "/portal-sessions/" + url.PathEscape(id), query: c.values()}, nil)
}

// CreateAccount makes an account (admin token).
func (c *Client) CreateAccount(ctx context.Context, name, email string) (*Account, error) {
	var out Account
	err := c.do(ctx, call{method: "POST", path: api + "/accounts",
		body: c.body(map[string]any{"name": name, "email": email})}, &out)
	return &out, err
}

// CreateAPIKey makes an API key for the account (admin token); its Key is shown only in this answer.
func (c *Client) CreateAPIKey(ctx context.Context, accountID, name string) (*APIKey, error) {
	var out APIKey
	err := c.do(ctx, call{method: "POST", path: api + "/accounts/" + url.PathEscape(accountID) + "/api-keys",
		body: map[string]any{"name": name}}, &out)
	return &out, err
}

// Iter pages through a list: for it.Next(ctx) { use(it.Value()) }; then check it.Err().
type Iter[T any] struct {
	c      *Client
	path   string
	query  url.Values
	page   []T
	cursor string
	done   bool
	value  T
	err    error
}

func newIter[T any](c *Client, path string, query url.Values, limit int) *Iter[T] {
	if limit > 0 {
		query.Set("limit", strconv.Itoa(limit))
	}
	return &Iter[T]{c: c, path: path, query: query}
}

// Next moves to the next item, fetching the next page when needed; false at the end or on an error.
func (it *Iter[T]) Next(ctx context.Context) bool {
	for len(it.page) == 0 {
		if it.done || it.err != nil {
			return false
		}
		query := url.Values{}
		for k, v := range it.query {
			query[k] = v
		}
		if it.cursor != "" {
			query.Set("cursor", it.cursor)
		}
		var page struct {
			Data       []T     `json:"data"`
			NextCursor *string `json:"next_cursor"`
		}
		if it.err = it.c.do(ctx, call{method: "GET", path: it.path, query: query}, &page); it.err != nil {
			return false
		}
		it.page = page.Data
		it.done = page.NextCursor == nil || *page.NextCursor == ""
		if !it.done {
			it.cursor = *page.NextCursor
		}
	}
	it.value, it.page = it.page[0], it.page[1:]
	return true
}

// Value is the current item.
func (it *Iter[T]) Value() T { return it.value }

// Err is what stopped the iteration early, if anything.
func (it *Iter[T]) Err() error { return it.err }
