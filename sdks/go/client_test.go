// The Go client against a real hookd, started by tests/integration/test_sdks.py, which passes its address, admin
// token and a receiver's URL (answering 200, or 500 under /fail).
package hookd

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

func server(t *testing.T) (string, string, string) {
	base, admin, receiver := os.Getenv("HOOKD_URL"), os.Getenv("HOOKD_ADMIN_TOKEN"), os.Getenv("RECEIVER_URL")
	if base == "" {
		t.Skip("needs a running hookd: tests/integration/test_sdks.py runs these")
	}
	return base, admin, receiver
}

func until(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out: %s", what)
}

// must is a call's value; a failed call panics, which fails the test with its error.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func str(s string) *string { return &s }

func TestAWebhooksLife(t *testing.T) {
	base, adminToken, receiver := server(t)
	ctx := context.Background()
	admin := New(base, adminToken)
	account := must(admin.CreateAccount(ctx, "Acme", "ops@acme.test"))
	key := must(admin.CreateAPIKey(ctx, account.ID, "backend")).Key
	client := New(base, key)
	webhook := must(client.CreateWebhook(ctx, WebhookFields{URL: &receiver, Events: []string{"task.*"}}, false))
	if !strings.HasPrefix(webhook.Secret, "whsec_") || must(client.WebhookSecret(ctx, webhook.ID)) != webhook.Secret {
		t.Fatalf("secret %q", webhook.Secret)
	}

	first := must(client.SendEvent(ctx, "task.completed", map[string]any{"task_id": "t_1"},
		&SendOptions{IdempotencyKey: "order-1"}))
	again := must(client.SendEvent(ctx, "task.completed", nil, &SendOptions{IdempotencyKey: "order-1"}))
	if again.ID != first.ID || first.Deliveries != 1 {
		t.Fatalf("idempotency: %+v %+v", first, again)
	}
	batch := must(client.SendEvents(ctx, []BatchEvent{{Type: "task.updated"}, {Type: "task.updated"},
		{Type: "task.completed", IdempotencyKey: "order-1"}}))
	if len(batch) != 3 || batch[2].ID != first.ID || batch[0].ID == batch[1].ID {
		t.Fatalf("batch: %+v", batch)
	}
	must(admin.ForAccount(account.ID).SendEvent(ctx, "task.deleted", map[string]any{"task_id": "t_9"}, nil))
	sent := 1 + 2 + 1
	until(t, "every event delivered", func() bool {
		n, it := 0, client.ListDeliveries(webhook.ID, "succeeded", 100)
		for it.Next(ctx) {
			n++
		}
		return it.Err() == nil && n == sent
	})
	seen, it := map[string]bool{}, client.ListDeliveries(webhook.ID, "", 1)
	for it.Next(ctx) {
		seen[it.Value().ID] = true
	}
	if it.Err() != nil || len(seen) != sent {
		t.Fatalf("paged %d of %d: %v", len(seen), sent, it.Err())
	}

	failing := must(client.CreateWebhook(ctx, WebhookFields{URL: str(receiver + "/fail"),
		Events: []string{"user.created"}}, false))
	doomed := must(client.SendEvent(ctx, "user.created", nil, nil))
	var delivery Delivery
	until(t, "the delivery dead", func() bool {
		event := must(client.GetEvent(ctx, doomed.ID))
		delivery = event.Deliveries[0]
		return delivery.Status == "dead"
	})
	must(client.UpdateWebhook(ctx, failing.ID, WebhookFields{URL: &receiver}))
	if retried := must(client.RetryDelivery(ctx, delivery.ID)); retried.Status != "pending" {
		t.Fatalf("retried: %+v", retried)
	}
	until(t, "retried and succeeded", func() bool {
		return must(client.GetDelivery(ctx, delivery.ID)).Status == "succeeded"
	})
	if _, err := client.RetryDelivery(ctx, delivery.ID); !errors.Is(err, ErrConflict) {
		t.Fatalf("want a conflict, got %v", err)
	}

	session := must(client.CreatePortalSession(ctx, "10m", "read", ""))
	readOnly := New(base, session.Token)
	if _, err := readOnly.UpdateWebhook(ctx, webhook.ID, WebhookFields{Description: str("no")}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("want forbidden, got %v", err)
	}
	if err := client.RevokePortalSession(ctx, session.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := readOnly.GetWebhook(ctx, webhook.ID); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("want unauthorized, got %v", err)
	}
	if result := must(client.TestWebhook(ctx, webhook.ID, "task.completed")); !result.Success {
		t.Fatalf("test send: %+v", result)
	}
	if err := client.DeleteWebhook(ctx, webhook.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := client.GetWebhook(ctx, webhook.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("want not found, got %v", err)
	}
	_, err := client.CreateWebhook(ctx, WebhookFields{URL: str("not a url"), Events: []string{"*"}}, false)
	var invalid *Error
	if !errors.As(err, &invalid) || invalid.Kind != KindValidationFailed || invalid.Details[0].Field != "url" {
		t.Fatalf("want a validation error on url, got %v", err)
	}
	if _, err := client.SendEvent(ctx, "no.such_type", nil, nil); !errors.Is(err, ErrValidationFailed) {
		t.Fatalf("want validation_failed, got %v", err)
	}
	if _, err := New(base, "hk_nope").SendEvent(ctx, "task.completed", nil, nil); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("want unauthorized, got %v", err)
	}
	big := map[string]any{"blob": strings.Repeat("x", 2<<20)}
	if _, err := client.SendEvent(ctx, "task.completed", big, nil); !errors.Is(err, ErrPayloadTooLarge) {
		t.Fatalf("want payload too large, got %v", err)
	}
	if _, err := client.GetWebhook(ctx, "%zz"); !errors.Is(err, ErrNotFound) { // ids are escaped
		t.Fatalf("want not found, got %v", err)
	}
	duplicate := json.RawMessage(`{"type": "task.completed", "type": "task.created"}`) // a duplicate member
	if err := client.do(ctx, call{method: "POST", path: api + "/events", body: duplicate}, nil); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("want a bad request, got %v", err)
	}
	unreachable := New("http://127.0.0.1:1", key)
	unreachable.MaxRetries = 0
	if _, err := unreachable.GetWebhook(ctx, "wh_x"); !errors.Is(err, ErrConnectionFailed) {
		t.Fatalf("want connection failed, got %v", err)
	}
}

func TestBusyAnswersAreRetriedAfterRetryAfterWithTheSameKey(t *testing.T) {
	var keys []string
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		w.Header().Set("Content-Type", "application/json")
		if len(keys) <= 2 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(map[int]int{1: 429, 2: 503}[len(keys)])
			_, _ = w.Write([]byte(`{"error":{"code":"busy","message":"later"}}`))
			return
		}
		w.WriteHeader(202)
		_, _ = w.Write([]byte(`{"id":"evt_1","type":"task.completed","created":"x","deliveries":0}`))
	}))
	defer busy.Close()
	var waits []time.Duration
	client := New(busy.URL, "hk_x")
	client.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	accepted := must(client.SendEvent(context.Background(), "task.completed", nil, nil))
	if accepted.ID != "evt_1" || len(waits) != 2 || waits[0] < time.Second || keys[0] != keys[2] {
		t.Fatalf("accepted %+v after waits %v with keys %v", accepted, waits, keys)
	}
	keys = keys[:1] // the next call is answered 503 first
	client.MaxRetries = 0
	_, err := client.SendEvent(context.Background(), "task.completed", nil, nil)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindUnavailable || e.RetryAfter != time.Second {
		t.Fatalf("want unavailable with Retry-After 1s, got %v", err)
	}
}

func TestTheClientIsVersionedWithTheServer(t *testing.T) {
	base, _, _ := server(t)
	resp, err := http.Get(base + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var document struct {
		Info struct{ Version string } `json:"info"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&document); err != nil {
		t.Fatal(err)
	}
	if document.Info.Version != Version {
		t.Fatalf("the client is %s, the server %s", Version, document.Info.Version)
	}
}
