// The objects hookd's API answers with, as its OpenAPI document describes them (src/api/openapi.json). Free-form
// JSON (event data, metadata) stays raw.
package hookd

import "encoding/json"

type Webhook struct {
	ID             string            `json:"id"`
	URL            string            `json:"url"`
	Name           string            `json:"name"`
	Description    string            `json:"description"`
	Events         []string          `json:"events"`
	Active         bool              `json:"active"`
	Environment    string            `json:"environment"`
	RateLimit      int               `json:"rate_limit"`
	Ordered        bool              `json:"ordered"`
	PayloadFormat  string            `json:"payload_format"`
	Signing        string            `json:"signing"`              // "hmac-sha256" or "ed25519"
	KeyID          string            `json:"key_id,omitempty"`     // ed25519 only
	PublicKey      string            `json:"public_key,omitempty"` // ed25519 only: whpk_…
	Headers        map[string]string `json:"headers"`
	Metadata       json.RawMessage   `json:"metadata"`
	Status         string            `json:"status"`
	DisabledReason *string           `json:"disabled_reason"`
	Secret         string            `json:"secret,omitempty"` // only when created
	CreatedAt      string            `json:"created_at"`
	UpdatedAt      string            `json:"updated_at"`
}

// WebhookFields are a webhook's settings as created or changed; nil fields are left out.
type WebhookFields struct {
	URL           *string           `json:"url,omitempty"`
	Name          *string           `json:"name,omitempty"`
	Description   *string           `json:"description,omitempty"`
	Events        []string          `json:"events,omitempty"`
	Active        *bool             `json:"active,omitempty"`
	Environment   *string           `json:"environment,omitempty"`
	RateLimit     *int              `json:"rate_limit,omitempty"`
	Ordered       *bool             `json:"ordered,omitempty"`
	PayloadFormat *string           `json:"payload_format,omitempty"`
	Signing       *string           `json:"signing,omitempty"`
	Headers       map[string]string `json:"headers,omitempty"`
	Metadata      map[string]any    `json:"metadata,omitempty"`
	AccountID     string            `json:"account_id,omitempty"`
}

type AcceptedEvent struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Created    string `json:"created"`
	Deliveries int    `json:"deliveries"`
}

type Event struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	Environment string          `json:"environment"`
	Data        json.RawMessage `json:"data"`
	Metadata    json.RawMessage `json:"metadata"`
	Created     string          `json:"created"`
	Deliveries  []Delivery      `json:"deliveries"` // with GetEvent
}

type Delivery struct {
	ID                 string    `json:"id"`
	EventID            string    `json:"event_id"`
	EventType          string    `json:"event_type"`
	WebhookID          string    `json:"webhook_id"`
	Status             string    `json:"status"`
	AttemptCount       int       `json:"attempt_count"`
	CreatedAt          string    `json:"created_at"`
	NextAttemptAt      *string   `json:"next_attempt_at"`
	CompletedAt        *string   `json:"completed_at"`
	LastResponseStatus *int      `json:"last_response_status"`
	LastError          *string   `json:"last_error"`
	Attempts           []Attempt `json:"attempts"` // with GetDelivery
}

type Attempt struct {
	Number         int     `json:"number"`
	StartedAt      string  `json:"started_at"`
	ResponseStatus *int    `json:"response_status"`
	ResponseTimeMs int64   `json:"response_time_ms"`
	Error          *string `json:"error"`
	Success        bool    `json:"success"`
}

type TestResult struct {
	Success        bool    `json:"success"`
	ResponseStatus *int    `json:"response_status"`
	ResponseTimeMs int64   `json:"response_time_ms"`
	ResponseBody   string  `json:"response_body"`
	Error          *string `json:"error"`
}

type PortalSession struct {
	ID        string  `json:"id"`
	AccountID string  `json:"account_id"`
	Access    string  `json:"access"`
	ReturnURL *string `json:"return_url"`
	ExpiresAt string  `json:"expires_at"`
	Token     string  `json:"token"`
	URL       string  `json:"url"`
}

type Account struct {
	ID    string  `json:"id"`
	Name  string  `json:"name"`
	Email *string `json:"email"`
}

type APIKey struct {
	ID        string `json:"id"`
	AccountID string `json:"account_id"`
	Name      string `json:"name"`
	Key       string `json:"key,omitempty"` // only when created
}
