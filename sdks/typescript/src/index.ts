// hookd's client for the platform's backend, over types generated from hookd's OpenAPI document
// (openapi-typescript): send events (with an idempotency key by default, so a retried send never makes a second
// event), manage an account's webhooks, read and retry deliveries, open portal sessions, and, with the admin token,
// manage accounts. Lists are async iterators that follow next_cursor. Versioned with the server.
//
//   type Events = { "task.completed": { task_id: string } };
//   const hookd = new Hookd<Events>({ baseUrl: "https://hookd.internal", credential: "hk_…" });
//   await hookd.sendEvent("task.completed", { task_id: "t_1" });
import { randomUUID } from "node:crypto";

import type { components } from "./generated/hookd.js";
import { Transport, type Query, type TransportOptions } from "./transport.js";

export * from "./errors.js";
export { Transport, type TransportOptions } from "./transport.js";

type Schemas = components["schemas"];
export type Webhook = Schemas["Webhook"];
export type WebhookCreate = Schemas["WebhookCreate"];
export type WebhookUpdate = Schemas["WebhookUpdate"];
export type AcceptedEvent = Schemas["AcceptedEvent"];
export type Event = Schemas["Event"];
export type EventWithDeliveries = Schemas["EventWithDeliveries"];
export type Delivery = Schemas["Delivery"];
export type DeliveryWithAttempts = Schemas["DeliveryWithAttempts"];
export type TestResult = Schemas["TestResult"];
export type PortalSession = Schemas["PortalSession"];
export type PortalSessionCreate = Schemas["PortalSessionCreate"];
export type Account = Schemas["Account"];
export type ApiKey = Schemas["ApiKey"];
export type EventCatalog = Schemas["EventCatalog"];
export type Stats = Schemas["Stats"];

export const VERSION = "0.1.0";

/** Data by event type: a platform names its own; any other type takes any object. */
export type EventMap = Record<string, Record<string, unknown>>;

export interface SendOptions {
  environment?: string;
  metadata?: Record<string, unknown>;
  /** Generated when not given: a retried send with the same key returns the first event. */
  idempotencyKey?: string;
}

export type BatchItem<Events extends EventMap, K extends keyof Events & string = keyof Events & string> = {
  type: K;
  data?: Events[K];
} & SendOptions;

export interface ClientOptions extends Omit<TransportOptions, "baseUrl" | "credential"> {
  baseUrl?: string;
  /** An account's API key (hk_…), or the admin token (then give accountId, or use forAccount). */
  credential: string;
  accountId?: string;
}

interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

const API = "/api/v1";

export function newIdempotencyKey(): string {
  return `idem_${randomUUID().replaceAll("-", "")}`;
}

export class Hookd<Events extends EventMap = EventMap> {
  private readonly t: Transport;
  readonly accountId?: string;

  constructor(options: ClientOptions, transport?: Transport) {
    this.t = transport ?? new Transport({ ...options, baseUrl: options.baseUrl ?? "http://127.0.0.1:8084" });
    this.accountId = options.accountId;
  }

  /** The same client acting for `accountId` (with the admin token). */
  forAccount(accountId: string): Hookd<Events> {
    return new Hookd<Events>({ credential: "", accountId }, this.t);
  }

  private body<T extends object>(fields: T): T & { account_id?: string } {
    const out = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as T;
    return this.accountId ? { ...out, account_id: this.accountId } : out;
  }

  private query(fields: Query = {}): Query {
    return this.accountId ? { ...fields, account_id: this.accountId } : fields;
  }

  private async *pages<T>(path: string, filters: Query, limit: number): AsyncGenerator<T> {
    let cursor: string | null = null;
    do {
      const page: Page<T> = await this.t.call<Page<T>>({
        method: "GET",
        path,
        query: this.query({ ...filters, limit, cursor }),
      });
      yield* page.data;
      cursor = page.next_cursor;
    } while (cursor);
  }

  // ---- events ----

  async sendEvent<K extends keyof Events & string>(type: K, data?: Events[K], options: SendOptions = {}):
      Promise<AcceptedEvent> {
    const body = this.body({ type, data: data ?? {}, environment: options.environment, metadata: options.metadata });
    return this.t.call({ method: "POST", path: `${API}/events`, body, retryUnanswered: true,
                         headers: { "Idempotency-Key": options.idempotencyKey ?? newIdempotencyKey() } });
  }

  /** Up to 1,000 events in one call; each without a key gets one. */
  async sendEvents(events: BatchItem<Events>[]): Promise<AcceptedEvent[]> {
    const items = events.map((e) => ({ type: e.type, data: e.data ?? {}, environment: e.environment,
                                       metadata: e.metadata, idempotency_key: e.idempotencyKey ?? newIdempotencyKey() }));
    const answer = await this.t.call<{ data: AcceptedEvent[] }>({
      method: "POST", path: `${API}/events/batch`, body: this.body({ events: items }), retryUnanswered: true });
    return answer.data;
  }

  getEvent(id: string): Promise<EventWithDeliveries> {
    return this.t.call({ method: "GET", path: `${API}/events/${encodeURIComponent(id)}`, query: this.query() });
  }

  listEvents(filters: { type?: string; since?: string; until?: string } = {}, limit = 100): AsyncGenerator<Event> {
    return this.pages<Event>(`${API}/events`, filters, limit);
  }

  replayEvent(id: string, webhookId?: string): Promise<{ data: Delivery[] }> {
    return this.t.call({ method: "POST", path: `${API}/events/${encodeURIComponent(id)}/replay`,
                         body: this.body({ webhook_id: webhookId }) });
  }

  // ---- webhooks ----

  /** hookd checks the URL answers first unless `verify` is false. The answer holds the signing secret. */
  createWebhook(webhook: WebhookCreate, verify = true): Promise<Webhook> {
    return this.t.call({ method: "POST", path: `${API}/webhooks${verify ? "" : "?verify=false"}`,
                         body: this.body(webhook) });
  }

  getWebhook(id: string): Promise<Webhook> {
    return this.t.call({ method: "GET", path: `${API}/webhooks/${encodeURIComponent(id)}`, query: this.query() });
  }

  listWebhooks(filters: { active?: boolean; event?: string; environment?: string; status?: string } = {},
               limit = 100): AsyncGenerator<Webhook> {
    return this.pages<Webhook>(`${API}/webhooks`, filters, limit);
  }

  updateWebhook(id: string, fields: WebhookUpdate): Promise<Webhook> {
    return this.t.call({ method: "PATCH", path: `${API}/webhooks/${encodeURIComponent(id)}`, body: this.body(fields) });
  }

  async deleteWebhook(id: string): Promise<void> {
    await this.t.call({ method: "DELETE", path: `${API}/webhooks/${encodeURIComponent(id)}`, query: this.query() });
  }

  /** Sends a signed test event now (the type's catalog example); returns what the endpoint answered. */
  testWebhook(id: string, eventType?: string): Promise<TestResult> {
    return this.t.call({ method: "POST", path: `${API}/webhooks/${encodeURIComponent(id)}/test`,
                         body: this.body({ event_type: eventType }) });
  }

  async webhookSecret(id: string): Promise<string> {
    const answer = await this.t.call<{ secret: string }>({
      method: "GET", path: `${API}/webhooks/${encodeURIComponent(id)}/secret`, query: this.query() });
    return answer.secret;
  }

  /** A new signing secret; the old one keeps signing alongside it for 24 hours. */
  rotateWebhookSecret(id: string, secret?: string): Promise<Schemas["RotatedSecret"]> {
    return this.t.call({ method: "POST", path: `${API}/webhooks/${encodeURIComponent(id)}/secret/rotate`,
                         body: this.body({ secret }) });
  }

  /** Retries the webhook's failed and dead deliveries (or those of `status`) created in [since, until). */
  retryWebhookDeliveries(id: string, range: { status?: "failed" | "dead"; since?: string; until?: string } = {}):
      Promise<unknown> {
    return this.t.call({ method: "POST", path: `${API}/webhooks/${encodeURIComponent(id)}/retry`,
                         body: this.body(range) });
  }

  /** Delivers again, to this webhook, the account's events of [since, until) it subscribes to. */
  replayWebhook(id: string, range: { since: string; until?: string }): Promise<unknown> {
    return this.t.call({ method: "POST", path: `${API}/webhooks/${encodeURIComponent(id)}/replay`,
                         body: this.body(range) });
  }

  // ---- deliveries, statistics ----

  listDeliveries(filters: { webhook_id?: string; status?: Delivery["status"]; event_type?: string; since?: string;
                            until?: string } = {}, limit = 100): AsyncGenerator<Delivery> {
    return this.pages<Delivery>(`${API}/deliveries`, filters, limit);
  }

  getDelivery(id: string): Promise<DeliveryWithAttempts> {
    return this.t.call({ method: "GET", path: `${API}/deliveries/${encodeURIComponent(id)}`, query: this.query() });
  }

  /** Attempts a failed or dead delivery again now (Conflict if it succeeded or is still pending). */
  retryDelivery(id: string): Promise<Delivery> {
    return this.t.call({ method: "POST", path: `${API}/deliveries/${encodeURIComponent(id)}/retry`,
                         body: this.body({}) });
  }

  stats(query: Query = {}): Promise<Stats> {
    return this.t.call({ method: "GET", path: `${API}/stats`, query: this.query(query) });
  }

  // ---- portal sessions, the catalog ----

  /** A short-lived sign-in to the web UI for the account: send the customer's browser to its url. */
  createPortalSession(options: PortalSessionCreate = {}): Promise<PortalSession> {
    return this.t.call({ method: "POST", path: `${API}/portal-sessions`, body: this.body(options) });
  }

  async revokePortalSession(id: string): Promise<void> {
    await this.t.call({ method: "DELETE", path: `${API}/portal-sessions/${encodeURIComponent(id)}`,
                        query: this.query() });
  }

  async eventCatalog(): Promise<EventCatalog["categories"]> {
    const answer = await this.t.call<EventCatalog>({
      method: "GET", path: `${API}/webhooks/events/available`, query: this.query() });
    return answer.categories;
  }

  // ---- accounts (admin token) ----

  createAccount(name: string, email?: string): Promise<Account> {
    return this.t.call({ method: "POST", path: `${API}/accounts`, body: email ? { name, email } : { name } });
  }

  /** A new API key for the account; its `key` is shown only in this answer. */
  createApiKey(accountId: string, name?: string): Promise<ApiKey> {
    return this.t.call({ method: "POST", path: `${API}/accounts/${encodeURIComponent(accountId)}/api-keys`,
                         body: name ? { name } : {} });
  }
}
