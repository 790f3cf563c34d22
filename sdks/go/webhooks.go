// Webhooks: create, read, list, change, delete, test, their secrets, and their bulk retry and replay.
package hookd

import (
	"context"
	"net/url"
)

// CreateWebhook makes a webhook; hookd checks its URL answers first unless verify is false. The answer holds its
// signing secret.
func (c *Client) CreateWebhook(ctx context.Context, fields WebhookFields, verify bool) (*Webhook, error) {
	path := api + "/webhooks"
	if !verify {
		path += "?verify=false"
	}
	fields.AccountID = c.AccountID
	var out Webhook
	err := c.do(ctx, call{method: "POST", path: path, body: fields}, &out)
	return &out, err
}

func (c *Client) GetWebhook(ctx context.Context, id string) (*Webhook, error) {
	var out Webhook
	err := c.do(ctx, call{method: "GET", path: api + "/webhooks/" + url.PathEscape(id), query: c.values()}, &out)
	return &out, err
}

// ListWebhooks pages through the account's webhooks (event: only those subscribed to this type).
func (c *Client) ListWebhooks(event string, limit int) *Iter[Webhook] {
	return newIter[Webhook](c, api+"/webhooks", c.values("event", event), limit)
}

// UpdateWebhook changes the fields that are set.
func (c *Client) UpdateWebhook(ctx context.Context, id string, fields WebhookFields) (*Webhook, error) {
	fields.AccountID = c.AccountID
	var out Webhook
	err := c.do(ctx, call{method: "PATCH", path: api + "/webhooks/" + url.PathEscape(id), body: fields}, &out)
	return &out, err
}

func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	return c.do(ctx, call{method: "DELETE", path: api + "/webhooks/" + url.PathEscape(id), query: c.values()}, nil)
}

// TestWebhook sends a signed test event now (eventType's catalog example; empty: webhook.test).
func (c *Client) TestWebhook(ctx context.Context, id, eventType string) (*TestResult, error) {
	var out TestResult
	err := c.do(ctx, call{method: "POST", path: api + "/webhooks/" + url.PathEscape(id) + "/test",
		body: c.body(map[string]any{"event_type": eventType})}, &out)
	return &out, err
}

func (c *Client) WebhookSecret(ctx context.Context, id string) (string, error) {
	var out struct {
		Secret string `json:"secret"`
	}
	err := c.do(ctx, call{method: "GET", path: api + "/webhooks/" + url.PathEscape(id) + "/secret",
		query: c.values()}, &out)
	return out.Secret, err
}

// RotateWebhookSecret gives the webhook a new signing secret (generated when empty); the old one signs alongside
// it for 24 hours.
func (c *Client) RotateWebhookSecret(ctx context.Context, id, secret string) error {
	return c.do(ctx, call{method: "POST", path: api + "/webhooks/" + url.PathEscape(id) + "/secret/rotate",
		body: c.body(map[string]any{"secret": secret})}, nil)
}

// RetryWebhookDeliveries retries the webhook's failed and dead deliveries (or those of status) in [since, until).
func (c *Client) RetryWebhookDeliveries(ctx context.Context, id, status, since, until string) error {
	return c.do(ctx, call{method: "POST", path: api + "/webhooks/" + url.PathEscape(id) + "/retry",
		body: c.body(map[string]any{"status": status, "since": since, "until": until})}, nil)
}

// ReplayWebhook delivers again, to this webhook, the account's events of [since, until) it subscribes to.
func (c *Client) ReplayWebhook(ctx context.Context, id, since, until string) error {
	return c.do(ctx, call{method: "POST", path: api + "/webhooks/" + url.PathEscape(id) + "/replay",
		body: c.body(map[string]any{"since": since, "until": until})}, nil)
}
