// The TypeScript client against a real hookd, started by tests/integration/test_sdks.py, which passes its address,
// admin token and a receiver's URL (a real receiver that answers 200 until told otherwise by the path's suffix).
import assert from "node:assert/strict";
import { test } from "node:test";
import http from "node:http";

import * as sdk from "../dist/index.js";

const { HOOKD_URL, HOOKD_ADMIN_TOKEN, RECEIVER_URL } = process.env;

async function until(predicate, message, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`timed out: ${message}`);
}

async function collect(iterator) {
  const out = [];
  for await (const item of iterator) out.push(item);
  return out;
}

test("a webhook's life with the TypeScript client", async () => {
  const admin = new sdk.Hookd({ baseUrl: HOOKD_URL, credential: HOOKD_ADMIN_TOKEN });
  const account = await admin.createAccount("Acme", "ops@acme.test");
  const { key } = await admin.createApiKey(account.id, "backend");
  const hookd = new sdk.Hookd({ baseUrl: HOOKD_URL, credential: key });
  const webhook = await hookd.createWebhook({ url: RECEIVER_URL, events: ["task.*"], name: "Tasks" }, false);
  assert.match(webhook.secret, /^whsec_/);
  assert.equal(await hookd.webhookSecret(webhook.id), webhook.secret);
  assert.deepEqual((await collect(hookd.listWebhooks({ event: "task.completed" }))).map((w) => w.id), [webhook.id]);

  const first = await hookd.sendEvent("task.completed", { task_id: "t_1" }, { idempotencyKey: "order-1" });
  assert.equal((await hookd.sendEvent("task.completed", { task_id: "t_1" }, { idempotencyKey: "order-1" })).id,
               first.id);
  assert.notEqual((await hookd.sendEvent("task.created", {})).id, (await hookd.sendEvent("task.created", {})).id);
  const batch = await hookd.sendEvents([...[0, 1, 2, 3, 4].map((n) => ({ type: "task.updated", data: { n } })),
                                        { type: "task.completed", idempotencyKey: "order-1" }]);
  assert.equal(batch.length, 6);
  assert.equal(batch[5].id, first.id);
  await admin.forAccount(account.id).sendEvent("task.deleted", { task_id: "t_9" });
  const sent = 1 + 2 + 5 + 1;
  await until(async () => (await collect(hookd.listDeliveries({ webhook_id: webhook.id, status: "succeeded" })))
    .length === sent, "every event delivered");
  const paged = await collect(hookd.listDeliveries({ webhook_id: webhook.id }, 2));
  assert.equal(new Set(paged.map((d) => d.id)).size, sent);

  // A webhook whose endpoint fails: its delivery dies, then a manual retry after the endpoint is fixed succeeds.
  const failing = await hookd.createWebhook({ url: `${RECEIVER_URL}/fail`, events: ["user.created"] }, false);
  const doomed = await hookd.sendEvent("user.created", {});
  let delivery;
  await until(async () => {
    delivery = (await hookd.getEvent(doomed.id)).deliveries[0];
    return delivery.status === "dead";
  }, "the delivery dead");
  await hookd.updateWebhook(failing.id, { url: RECEIVER_URL });
  assert.equal((await hookd.retryDelivery(delivery.id)).status, "pending");
  await until(async () => (await hookd.getDelivery(delivery.id)).status === "succeeded", "retried and succeeded");
  await assert.rejects(hookd.retryDelivery(delivery.id), sdk.Conflict);

  const session = await hookd.createPortalSession({ ttl: "10m", access: "read" });
  const readOnly = new sdk.Hookd({ baseUrl: HOOKD_URL, credential: session.token });
  assert.equal((await readOnly.getWebhook(webhook.id)).id, webhook.id);
  await assert.rejects(readOnly.updateWebhook(webhook.id, { description: "no" }), sdk.Forbidden);
  await hookd.revokePortalSession(session.id);
  await assert.rejects(readOnly.getWebhook(webhook.id), sdk.Unauthorized);

  assert.equal((await hookd.testWebhook(webhook.id, "task.completed")).success, true);
  await hookd.deleteWebhook(webhook.id);
  await assert.rejects(hookd.getWebhook(webhook.id), sdk.NotFound);
  const invalid = await hookd.createWebhook({ url: "not a url", events: ["*"] }, false).catch((e) => e);
  assert.ok(invalid instanceof sdk.ValidationFailed);
  assert.equal(invalid.details[0].field, "url");
  await assert.rejects(hookd.sendEvent("no.such_type"), (e) => e instanceof sdk.ValidationFailed &&
                       e.code === "unknown_event_type");
  await assert.rejects(new sdk.Hookd({ baseUrl: HOOKD_URL, credential: "hk_nope" }).sendEvent("task.completed"),
                       sdk.Unauthorized);
  await assert.rejects(hookd.sendEvent("task.completed", { blob: "x".repeat(2 << 20) }), sdk.PayloadTooLarge);
  await assert.rejects(hookd.getWebhook("%zz"), sdk.NotFound);  // ids are escaped
  await assert.rejects(new sdk.Transport({ baseUrl: HOOKD_URL, credential: key })
    .call({ method: "GET", path: "/api/v1/webhooks/%zz" }), (e) => e instanceof sdk.BadRequest && e.status === 400);
  await assert.rejects(new sdk.Hookd({ baseUrl: "http://127.0.0.1:1", credential: key, maxRetries: 0 })
    .getWebhook("wh_x"), sdk.ConnectionFailed);
});

test("429 and 503 are retried after Retry-After, with the same idempotency key", async () => {
  const keys = [];
  const server = http.createServer((req, res) => {
    keys.push(req.headers["idempotency-key"]);
    req.resume();
    req.on("end", () => {
      const busy = keys.length <= 2;
      res.writeHead(busy ? (keys.length === 1 ? 429 : 503) : 202,
                    { "Content-Type": "application/json", ...(busy ? { "Retry-After": "1" } : {}) });
      res.end(JSON.stringify(busy ? { error: { code: "busy", message: "later" } }
                                  : { id: "evt_1", type: "task.completed", created: "x", deliveries: 0 }));
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  try {
    const waits = [];
    const baseUrl = `http://127.0.0.1:${server.address().port}`;
    const client = new sdk.Hookd({ baseUrl, credential: "hk_x", sleep: async (s) => { waits.push(s); } });
    assert.equal((await client.sendEvent("task.completed")).id, "evt_1");
    assert.equal(waits.length, 2);
    assert.ok(waits.every((w) => w >= 1));
    assert.equal(new Set(keys).size, 1);
    keys.length = 1;  // the next call is answered 503 first
    const impatient = new sdk.Hookd({ baseUrl, credential: "hk_x", maxRetries: 0 });
    const error = await impatient.sendEvent("task.completed").catch((e) => e);
    assert.ok(error instanceof sdk.Unavailable && error.retryAfter === 1);
  } finally {
    server.close();
  }
});

test("the client is versioned with the server", async () => {
  const info = await fetch(`${HOOKD_URL}/api/v1/openapi.json`).then((r) => r.json());
  assert.equal(sdk.VERSION, info.info.version);
});
