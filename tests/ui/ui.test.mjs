// Browser tests of the web UI (SPEC §8): headless Debian Chromium driven by playwright-core, against the real
// hookd binary and a real HTTP receiver. Walks the PRD's tasks — sign in, create a webhook with grouped event
// checkboxes, send a test, trigger events, see deliveries, retry a failed one, toggle, rotate the secret, read
// the dashboard, delete, sign out — then portal links (manage, read-only, expired, revoked), the UI framed by an
// allowed and a refused origin, keyboard use, and the details a product manager would catch. Every screenshot
// (test-output/ui/) is also an accessibility audit: axe-core fails the test on any serious or critical violation.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const HOOKD = process.env.HOOKD_BIN || path.join(root, 'build/hookd');
const SHOTS = path.join(root, 'test-output/ui');
mkdirSync(SHOTS, { recursive: true });
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let hookd, base, adminToken, apiKey, receiver, receiverUrl, browser, page;
const received = [];
let failing = false;

function startHookd(...extra) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hookd-ui-'));
  const proc = spawn(HOOKD, ['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--allow-http',
    '--allow-private-networks', '--retry-schedule', '200ms', '--circuit-cooldown', '200ms', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/hookd listening on (http:\/\/\S+)/);
      if (m) resolve({ proc, base: m[1], adminToken: readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim() });
    });
    proc.on('exit', (code) => reject(new Error(`hookd exited with ${code}`)));
  });
}

async function call(method, p, body, token = apiKey, at = base) {
  const res = await fetch(at + '/api/v1' + p, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function until(fn, what, timeout = 10000) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// axe-core on the page as it is now (run through the DevTools protocol, which the UI's CSP does not block); any
// serious or critical violation fails the test, naming the rule and the elements.
async function audit(name, on = page) {
  if (!await on.evaluate(() => typeof window.axe === 'object')) await on.evaluate(AXE);
  const { violations } = await on.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`), [],
    `accessibility violations on ${name}`);
}

// A screenshot of the whole page, which is also audited.
async function shot(name, on = page) {
  await on.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  await audit(name, on);
}

const consoleErrors = [];

// A page in a fresh browser context (its own sessionStorage), whose script errors fail the test and whose console
// errors and failed loads (a 404 favicon, a CSP refusal) are collected.
async function newPage(viewport = { width: 1280, height: 860 }) {
  const p = await (await browser.newContext({ viewport })).newPage();
  p.on('pageerror', (err) => { throw err; });
  p.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  return p;
}

before(async () => {
  ({ proc: hookd, base, adminToken } = await startHookd());
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(failing ? 500 : 200, { 'Content-Type': 'application/json' });
      res.end(failing ? '{"error":"down for maintenance"}' : '{"ok":true}');
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${receiver.address().port}/hooks`;
  const account = await call('POST', '/accounts', { name: 'Acme', email: 'ops@acme.test' }, adminToken);
  apiKey = (await call('POST', `/accounts/${account.json.id}/api-keys`, { name: 'ui' }, adminToken)).json.key;
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'] });
  page = await newPage();
});

after(async () => {
  await browser?.close();
  receiver?.close();
  hookd?.kill('SIGTERM');
});

test('the PRD tasks in a real browser', async (t) => {
  await t.test('sign in with an API key', async () => {
    await page.goto(base + '/');
    assert.match(page.url(), /\/settings\/webhooks$/);
    await page.fill('#api-key', 'hk_wrong');
    await page.click('button[type=submit]');
    await page.getByText('That API key is not valid.').waitFor();
    await shot('01-sign-in');
    await page.fill('#api-key', apiKey);
    await page.click('button[type=submit]');
    await page.getByText('No webhooks yet').waitFor();
    await shot('02-webhooks-empty');
  });

  let webhookId;
  await t.test('create a webhook with grouped event checkboxes', async () => {
    await page.click('text=+ Add webhook');
    await page.locator('#f-url').waitFor();
    const legends = await page.locator('fieldset legend').allTextContents();
    for (const category of ['License', 'Task', 'Billing', 'User', 'Device', 'Monitoring']) assert.ok(legends.includes(category), category);
    assert.match(await page.locator('.field[data-field=url] .help').textContent(), /http/);
    await page.fill('#f-url', 'ftp://nope');
    await page.fill('#f-name', 'Task sync');
    await page.check('input[aria-label="All Task events"]');
    await page.check('input[value="user.created"]');
    await page.click('button[type=submit]');
    await page.locator('#err-url').filter({ hasText: /https/ }).waitFor();  // the server's error, next to its field
    await shot('03-webhook-form-error');
    await page.fill('#f-url', receiverUrl);
    await page.click('button[type=submit]');
    await page.locator('#secret-value').waitFor();
    webhookId = page.url().match(/wh_[0-9A-Z]+/)[0];
    const created = (await call('GET', `/webhooks/${webhookId}`)).json;
    assert.deepEqual([...created.events].sort(), ['task.*', 'user.created']);
    assert.match(await page.locator('#secret-value').textContent(), /^whsec_/);
    assert.ok(received.some((r) => r.headers['x-webhook-event'] === 'webhook.ping'));
    await shot('04-webhook-created');
  });

  await t.test('send a test event and see the result', async () => {
    await page.click('text=Send test event');
    await page.getByText('Test delivered.').waitFor();
    assert.match(await page.locator('.notice.ok').textContent(), /Status 200/);
    assert.ok(received.some((r) => r.headers['x-webhook-event'] === 'webhook.test'));
    // Any subscribed type, with that type's example data.
    await page.selectOption('#test-event', 'task.completed');
    await page.click('text=Send test event');
    await until(async () => received.some((r) => r.headers['x-webhook-event'] === 'task.completed'), 'a task.completed test');
    const sent = JSON.parse(received.find((r) => r.headers['x-webhook-event'] === 'task.completed').body);
    assert.equal(sent.data.task.status, 'done');
  });

  await t.test('trigger events and see deliveries appear', async () => {
    await call('POST', '/events', { type: 'task.completed', data: { task: 1 } });
    await call('POST', '/events', { type: 'user.created', data: { user: 2 } });
    await until(async () => (await call('GET', `/webhooks/${webhookId}/deliveries?status=succeeded`)).json.data.length === 2, 'two deliveries');
    await page.click('text=Refresh');
    await page.locator('tr[data-delivery]').nth(1).waitFor();
    const firstRow = page.locator('tr[data-delivery]').first();
    assert.match(await firstRow.textContent(), /200/);
    await firstRow.getByRole('button', { name: 'Details' }).click();
    await page.getByText('Request headers').first().waitFor();
    assert.match(await page.locator('.attempt pre').first().textContent(), /webhook-signature: v1,/);
    await shot('05-delivery-log');
  });

  await t.test('retry a failed delivery', async () => {
    failing = true;
    await call('POST', '/events', { type: 'task.created', data: { task: 3 } });
    await until(async () => (await call('GET', `/webhooks/${webhookId}/deliveries?status=dead`)).json.data.length === 1, 'a dead delivery', 15000);
    failing = false;
    await page.selectOption('#filter-status', 'dead');
    const row = page.locator('tr[data-delivery]').first();
    await row.waitFor();
    assert.match(await row.textContent(), /500/);
    await shot('06-dead-delivery');
    await row.getByRole('button', { name: 'Retry' }).click();
    await until(async () => (await call('GET', `/webhooks/${webhookId}/deliveries?status=succeeded&event=task.created`)).json.data.length === 1, 'the retry to succeed');
    await page.selectOption('#filter-status', '');
  });

  await t.test('toggle the webhook off and on from the list', async () => {
    await page.goto(base + '/settings/webhooks#/webhooks');
    const toggle = page.getByRole('switch');
    await toggle.waitFor();
    assert.equal(await toggle.getAttribute('aria-checked'), 'true');
    await toggle.click();
    await page.getByText('turned off by a user').waitFor();
    assert.equal((await call('GET', `/webhooks/${webhookId}`)).json.active, false);
    await shot('07-webhook-disabled');
    await page.getByRole('switch').focus();  // by keyboard this time
    await page.keyboard.press('Space');
    await page.locator('.badge.healthy').first().waitFor();
    assert.equal((await call('GET', `/webhooks/${webhookId}`)).json.active, true);
  });

  await t.test('rotate the secret', async () => {
    const before = (await call('GET', `/webhooks/${webhookId}/secret`)).json.secret;
    await page.click(`a[href="#/webhooks/${webhookId}"]`);
    await page.getByRole('button', { name: 'Regenerate' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Regenerate' }).click();
    await page.getByText('The previous secret also signs until').waitFor();
    const shown = await page.locator('#secret-value').textContent();
    assert.notEqual(shown, before);
    assert.equal((await call('GET', `/webhooks/${webhookId}/secret`)).json.secret, shown);
    await shot('08-secret-rotated');
  });

  await t.test('the dashboard charts delivery volume, success rate and latency', async () => {
    await page.click('nav >> text=Dashboard');
    await page.getByText('By webhook (failing first)').waitFor();
    assert.equal(await page.locator('.charts svg').count(), 3);
    assert.ok(await page.locator('.charts svg rect').count() > 0);
    assert.match(await page.locator('.cards').first().textContent(), /Success rate/);
    await shot('09-dashboard');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot('10-dashboard-phone');
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  await t.test('edit keeps the grouped selection', async () => {
    await page.goto(base + `/settings/webhooks#/webhooks/${webhookId}/edit`);
    await page.locator('input[aria-label="All Task events"]').waitFor();
    assert.equal(await page.isChecked('input[aria-label="All Task events"]'), true);
    assert.equal(await page.isChecked('input[value="user.created"]'), true);
    assert.equal(await page.isChecked('input[value="user.deleted"]'), false);
    await page.getByRole('button', { name: 'Reveal' }).click();  // the secret, on demand, in the form too
    assert.equal(await page.locator('#secret-value').textContent(), (await call('GET', `/webhooks/${webhookId}/secret`)).json.secret);
    await shot('11-webhook-edit');
  });

  await t.test('the webhook\'s history and the Activity page say who changed what', async () => {
    await page.goto(base + `/settings/webhooks#/webhooks/${webhookId}`);
    const history = page.getByRole('region', { name: 'History' });
    await history.getByText('Webhook created').waitFor();
    const text = await history.textContent();
    for (const what of ['Signing secret rotated', 'Signing secret revealed', 'Webhook disabled', 'Webhook enabled']) {
      assert.ok(text.includes(what), `${what} in ${text}`);
    }
    assert.match(text, /API key key_/);
    assert.ok(!text.includes('whsec_'), 'no secret in the history');
    await shot('12-webhook-history');
    await page.click('nav >> text=Activity');
    const all = page.getByRole('region', { name: 'Every change, newest first' });
    await all.getByText('Webhook created').waitFor();
    assert.ok(await all.locator(`a[href="#/webhooks/${webhookId}"]`).count() > 0);
    await all.getByText('Delivery retried').first().waitFor();  // a delivery's record, on the account's page
    await shot('13-activity');
  });

  await t.test('the account\'s operational webhooks and the notices they were sent', async () => {
    const ops = (await call('POST', '/operational-webhooks', { url: receiverUrl, events: ['endpoint.updated'] })).json;
    await call('POST', `/webhooks/${webhookId}/secret/rotate`, {});
    await until(async () => (await call('GET', `/operational-webhooks/${ops.id}/deliveries`)).json.data
      .some((d) => d.status === 'succeeded'), 'a notice delivered');
    await page.click('nav >> text=Operational');
    await page.getByRole('region', { name: receiverUrl }).getByText('endpoint.updated').first().waitFor();
    await shot('14-operational');
    assert.equal((await call('DELETE', `/operational-webhooks/${ops.id}`)).status, 204);
  });

  await t.test('delete with confirmation', async () => {
    await page.goto(base + `/settings/webhooks#/webhooks/${webhookId}`);
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');  // Escape cancels: nothing is deleted
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    assert.equal((await call('GET', `/webhooks/${webhookId}`)).status, 200);
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete webhook' }).click();
    await page.getByText('No webhooks yet').waitFor();
    assert.equal((await call('GET', `/webhooks/${webhookId}`)).status, 404);
  });

  await t.test('sign out forgets the key', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#api-key').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('hookd.apiKey')), null);
  });
});

// ---- portal links (SPEC §3, §8) ----

async function portalLink(body) {
  const r = await call('POST', '/portal-sessions', body);
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r.json;
}

test('portal links sign a browser in without an API key', async (t) => {
  const webhook = (await call('POST', '/webhooks?verify=false', { url: receiverUrl, events: ['task.*'], name: 'Portal sync' })).json;
  failing = true;
  await call('POST', '/events', { type: 'task.created', data: { n: 1 } });
  await until(async () => (await call('GET', `/webhooks/${webhook.id}/deliveries?status=dead`)).json.data.length === 1, 'a dead delivery', 15000);
  failing = false;

  await t.test('manage: the token leaves the address bar, and the customer can change things', async () => {
    const link = await portalLink({ ttl: '1h', access: 'manage', return_url: 'https://app.acme.test/settings' });
    const p = await newPage();
    await p.goto(link.url);
    await p.getByRole('heading', { name: 'Webhooks' }).waitFor();
    assert.ok(!p.url().includes('hkp_'), p.url());
    await p.goBack();  // the history holds the page the link opened, without its token: nothing else
    assert.equal(p.url(), 'about:blank');
    await p.goForward();
    assert.ok(!p.url().includes('hkp_'), p.url());
    await p.getByRole('heading', { name: 'Webhooks' }).waitFor();
    assert.equal(await p.getByRole('link', { name: '← Back' }).getAttribute('href'), 'https://app.acme.test/settings');
    await p.getByRole('link', { name: '+ Add webhook' }).waitFor();
    await p.getByRole('switch').first().waitFor();
    await shot('20-portal-manage', p);
    await p.getByRole('switch').first().click();  // recorded as the portal link's change
    await until(async () => (await call('GET', `/webhooks/${webhook.id}`)).json.active === false, 'switched off');
    await p.getByRole('switch').first().click();
    await until(async () => (await call('GET', `/webhooks/${webhook.id}`)).json.active === true, 'switched on');
    await p.click('nav >> text=Activity');
    await p.getByText(`Portal link ${link.id}`).first().waitFor();
    assert.equal(await p.getByRole('link', { name: 'Operational' }).count(), 0);  // the platform's, not its customer's
    await p.context().close();
  });

  await t.test('read: everything is visible, nothing can be changed', async () => {
    const link = await portalLink({ access: 'read' });
    const p = await newPage();
    await p.goto(link.url);
    await p.getByText('View only.').waitFor();
    await p.getByText('Portal sync').first().waitFor();
    assert.equal(await p.getByRole('link', { name: '+ Add webhook' }).count(), 0);
    assert.equal(await p.getByRole('switch').count(), 0);
    await p.getByRole('link', { name: webhook.url }).first().click();
    await p.getByRole('heading', { name: 'Delivery log' }).waitFor();
    await p.locator('tr[data-delivery]').first().waitFor();
    for (const name of ['Edit', 'Send test event', 'Delete', 'Retry', 'Replay', 'Bulk retry…', 'Regenerate']) {
      assert.equal(await p.getByRole('button', { name, exact: true }).count() + await p.getByRole('link', { name, exact: true }).count(), 0, name);
    }
    await p.getByRole('button', { name: 'Reveal' }).click();  // reading the secret is allowed
    await p.locator('#secret-value').waitFor();
    await shot('21-portal-read-only', p);
    await p.goto(link.url.split('#')[0] + `#/webhooks/${webhook.id}/edit`);
    await p.getByText('This view is read-only').waitFor();
    await p.context().close();
  });

  await t.test('expired: a clear page, not a blank one', async () => {
    const link = await portalLink({ ttl: '1s' });
    await new Promise((r) => setTimeout(r, 1500));
    const p = await newPage();
    await p.goto(link.url);
    await p.getByRole('heading', { name: 'This link has expired' }).waitFor();
    assert.ok(!p.url().includes('hkp_'));
    await shot('22-portal-expired', p);
    await p.context().close();
  });

  await t.test('revoked: the open page stops working at once, with the way back', async () => {
    const link = await portalLink({ return_url: 'https://app.acme.test/settings' });
    const p = await newPage();
    await p.goto(link.url);
    await p.getByRole('heading', { name: 'Webhooks' }).waitFor();
    assert.equal((await call('DELETE', `/portal-sessions/${link.id}`)).status, 204);
    await p.getByRole('link', { name: 'Dashboard' }).click();
    await p.getByRole('heading', { name: 'This link is no longer valid' }).waitFor();
    assert.equal(await p.getByRole('link', { name: 'Back to your account' }).getAttribute('href'), 'https://app.acme.test/settings');
    await shot('23-portal-revoked', p);
    await p.context().close();
  });

  await call('DELETE', `/webhooks/${webhook.id}`);
});

// ---- embedding ----

test('the UI is framed only by the origins the operator allowed', async () => {
  // The platform's page: another origin (another port) that frames a portal link; and a page of an origin the
  // operator did not allow.
  let framed = '';
  const settingsPage = (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(`<!doctype html><html lang="en"><title>Acme settings</title><h1>Acme settings</h1><iframe title="Webhooks" src="${framed}" width="1100" height="700"></iframe>`);
  };
  const platform = http.createServer(settingsPage);
  const stranger = http.createServer(settingsPage);
  await new Promise((r) => platform.listen(0, '127.0.0.1', r));
  await new Promise((r) => stranger.listen(0, '127.0.0.1', r));
  const allowedOrigin = `http://127.0.0.1:${platform.address().port}`;
  const crossSiteOrigin = `http://localhost:${platform.address().port}`;  // another site than hookd's 127.0.0.1
  const embedding = await startHookd('--portal-allowed-origins', `${allowedOrigin},${crossSiteOrigin}`);
  try {
    const account = (await call('POST', '/accounts', { name: 'Framed' }, embedding.adminToken, embedding.base)).json;
    const key = (await call('POST', `/accounts/${account.id}/api-keys`, {}, embedding.adminToken, embedding.base)).json.key;
    const headers = (await fetch(`${embedding.base}/settings/webhooks`)).headers;
    assert.match(headers.get('content-security-policy'), new RegExp(`frame-ancestors ${allowedOrigin} ${crossSiteOrigin};`));
    assert.equal(headers.get('x-frame-options'), null);
    assert.equal(headers.get('x-content-type-options'), 'nosniff');
    assert.equal(headers.get('referrer-policy'), 'no-referrer');
    framed = (await call('POST', '/portal-sessions', { access: 'manage' }, key, embedding.base)).json.url;

    const p = await newPage();
    await p.goto(allowedOrigin + '/');
    await p.frameLocator('iframe').getByRole('heading', { name: 'Webhooks' }).waitFor();
    await shot('24-framed-by-allowed-origin', p);
    // From another site, where the browser may partition or refuse the frame's storage: the UI still signs in.
    framed = (await call('POST', '/portal-sessions', { access: 'read' }, key, embedding.base)).json.url;
    await p.goto(crossSiteOrigin + '/');
    await p.frameLocator('iframe').getByText('View only.').waitFor();

    // The same page from an origin the operator did not allow.
    const refused = `http://127.0.0.1:${stranger.address().port}/`;
    await p.goto(refused);
    await p.locator('iframe').waitFor();
    await new Promise((r) => setTimeout(r, 1000));
    const frame = p.frames().find((f) => f !== p.mainFrame());
    assert.equal(await frame.getByRole('heading', { name: 'Webhooks' }).count(), 0);
    await p.screenshot({ path: path.join(SHOTS, '25-framing-refused.png'), fullPage: true });
    await p.context().close();

    // This server allows no framing at all.
    const strict = (await fetch(`${base}/settings/webhooks`)).headers;
    assert.match(strict.get('content-security-policy'), /frame-ancestors 'none'/);
    assert.equal(strict.get('x-frame-options'), 'DENY');
  } finally {
    embedding.proc.kill('SIGTERM');
    platform.close();
    stranger.close();
  }
});

// ---- keyboard ----

// Opens `hash` in the shared page signed in with the account's API key (the PRD walk ends signed out).
async function openSignedIn(hash) {
  await page.goto(base + '/settings/webhooks');
  await page.evaluate((key) => sessionStorage.setItem('hookd.apiKey', key), apiKey);
  await page.goto('about:blank');
  await page.goto(base + '/settings/webhooks' + hash);
}

test('every control is reachable by keyboard, with visible focus; dialogs keep focus and give it back', async () => {
  const webhook = (await call('POST', '/webhooks?verify=false', { url: receiverUrl, events: ['*'], name: 'Keyboard' })).json;
  await openSignedIn(`#/webhooks/${webhook.id}`);
  await page.getByRole('heading', { name: 'Delivery log' }).waitFor();
  // Number every visible control, then Tab through the page: each must be reached, and show where focus is.
  const controls = await page.evaluate(() => {
    const all = [...document.querySelectorAll('a[href], button:not([disabled]), input, select, textarea')].filter((e) => e.offsetParent !== null);
    all.forEach((e, i) => { e.dataset.kb = String(i); });
    return all.length;
  });
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  const reached = new Set();
  for (let i = 0; i < controls * 8 && reached.size < controls; ++i) {  // a date input takes a Tab per part
    await page.keyboard.press('Tab');
    const info = await page.evaluate(() => {
      const e = document.activeElement;
      const style = getComputedStyle(e);
      return { kb: e.dataset ? e.dataset.kb : undefined, what: `${e.tagName} ${e.type || ""} ${e.id} ${e.textContent.trim().slice(0, 30)} ${style.outlineStyle} ${style.outlineWidth}`,
        outline: style.outlineStyle !== 'none' && style.outlineWidth !== '0px' };
    });
    if (info.kb === undefined) continue;
    assert.ok(info.outline, `no visible focus on ${info.what}`);
    reached.add(info.kb);
  }
  const missed = await page.evaluate((seen) => [...document.querySelectorAll('[data-kb]')].filter((e) => !seen.includes(e.dataset.kb))
    .map((e) => `${e.tagName} ${e.getAttribute('aria-label') || e.textContent.trim().slice(0, 30)}`), [...reached]);
  assert.deepEqual(missed, [], 'controls Tab never reaches');

  const del = page.getByRole('button', { name: 'Delete', exact: true });
  await del.focus();
  await page.keyboard.press('Enter');
  await page.getByRole('dialog').waitFor();
  await shot('26-confirm-dialog');
  for (let i = 0; i < 5; ++i) {
    await page.keyboard.press('Tab');
    assert.ok(await page.evaluate(() => !!document.activeElement.closest('dialog')), 'focus left the dialog');
  }
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Delete');
  await call('DELETE', `/webhooks/${webhook.id}`);
});

// ---- the details a product manager catches ----

test('polish: charts, refresh, titles, copy, toasts and the phone layout', async (t) => {
  const webhook = (await call('POST', '/webhooks?verify=false', { url: receiverUrl, events: ['*'], description: 'Sync tasks to the CRM' })).json;
  await call('POST', '/events', { type: 'task.completed', data: { n: 1 } });
  await until(async () => (await call('GET', `/webhooks/${webhook.id}/deliveries?status=succeeded`)).json.data.length === 1, 'a delivery');

  await t.test('the heading names the webhook and the description is shown', async () => {
    await openSignedIn(`#/webhooks/${webhook.id}`);
    await page.getByRole('heading', { level: 1, name: 'Sync tasks to the CRM' }).waitFor();
    await page.locator('.url-line').getByText(/127\.0\.0\.1/).waitFor();
  });

  await t.test('a 24-hour chart spans the whole day, with labels inside the chart on their grid lines', async () => {
    await page.locator('.charts svg').first().waitFor();
    const charts = await page.evaluate(() => [...document.querySelectorAll('.charts svg')].map((svg) => {
      const lines = [...svg.querySelectorAll('line.axis')].map((l) => Number(l.getAttribute('y1')));
      const labels = [...svg.querySelectorAll('text[text-anchor=end]')].filter((t) => Number(t.getAttribute('y')) < 150);
      return { left: Math.min(...labels.map((t) => t.getBBox().x)), texts: labels.map((t) => t.textContent),
        onGrid: labels.every((t, i) => Math.abs(Number(t.getAttribute('y')) - 3 - lines[i]) < 0.01),
        bars: [...svg.querySelectorAll('rect')].map((r) => Number(r.getAttribute('x'))) };
    }));
    for (const c of charts) {
      assert.ok(c.left >= 0, `a y label is cut at the left edge: ${c.texts}`);
      assert.equal(new Set(c.texts).size, c.texts.length, `repeated y labels: ${c.texts}`);
      assert.ok(c.onGrid, `y labels off their grid lines: ${c.texts}`);
    }
    assert.ok(charts[0].bars.length > 0 && Math.min(...charts[0].bars) > 300, 'the busy hour is the last of 24, at the right end');
    const stats = (await call('GET', `/webhooks/${webhook.id}/stats?since=24h`)).json;
    assert.ok(stats.series.length >= 24, `${stats.series.length} buckets`);
  });

  await t.test('the statistics and badges follow Refresh, Retry and the switch', async () => {
    failing = true;
    await call('POST', '/events', { type: 'task.created', data: { n: 2 } });
    await until(async () => (await call('GET', `/webhooks/${webhook.id}/deliveries?status=dead`)).json.data.length === 1, 'a dead delivery', 15000);
    failing = false;
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.locator('.cards .card').first().getByText('2').waitFor();  // two deliveries now, without reloading
    await page.locator('tr[data-delivery]').first().getByRole('button', { name: 'Retry' }).click();
    await page.getByText('Retrying now').waitFor();
    await until(async () => (await call('GET', `/webhooks/${webhook.id}/deliveries?status=succeeded`)).json.data.length === 2, 'the retry');
    await page.locator('.cards .card').nth(1).getByText('100%').waitFor();
    await page.getByRole('switch').click();
    await page.locator('.page-head .badge.disabled').waitFor();
    await page.getByText('Disabled: turned off by a user').waitFor();
    await shot('27-webhook-refreshed');
    await page.getByRole('switch').click();
    await page.locator('.page-head .badge.healthy').waitFor();
  });

  await t.test('the bulk retry counts in words, and toasts never pile up', async () => {
    failing = true;
    await call('POST', '/events', { type: 'task.created', data: { n: 3 } });
    await until(async () => (await call('GET', `/webhooks/${webhook.id}/deliveries?status=dead`)).json.data.length === 1, 'a dead delivery', 15000);
    failing = false;
    await page.getByRole('button', { name: 'Bulk retry…' }).click();
    await page.getByRole('dialog').getByText('This will retry 1 failed or dead delivery of all time.').waitFor();
    await page.getByRole('dialog').getByRole('button', { name: 'Retry 1' }).click();
    await page.getByText('Retrying 1 delivery').waitFor();
    for (let i = 0; i < 4; ++i) await page.getByRole('button', { name: 'Refresh' }).click();
    await page.evaluate(() => { for (let i = 0; i < 5; ++i) document.querySelector('.pager button').click(); });
    assert.ok(await page.locator('.toast').count() <= 2);
  });

  await t.test('the reachability error speaks plainly', async () => {
    await page.goto(base + '/settings/webhooks#/webhooks/new');
    await page.fill('#f-url', 'http://127.0.0.1:9/nothing-listens-here');
    await page.check('#events-all');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    const notice = page.locator('.notice.warn');
    await notice.waitFor();
    const text = await notice.textContent();
    assert.match(text, /the connection was refused/);
    assert.doesNotMatch(text, /verify=false|\?/);
    await shot('28-unreachable-url');
  });

  await t.test('on a phone: no stray rows, URLs wrap between their parts, a failed row keeps its buttons together', async () => {
    await page.goto(base + `/settings/webhooks#/webhooks/${webhook.id}`);
    await page.locator('tr[data-delivery]').first().waitFor();
    const desktopRow = await page.evaluate(() => {
      const row = document.querySelector('tr[data-delivery] .actions');
      return { height: row.getBoundingClientRect().height, button: row.querySelector('button').getBoundingClientRect().height };
    });
    assert.ok(desktopRow.height < desktopRow.button * 1.5, 'the buttons of a delivery row wrap');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('heading', { name: 'Delivery log' }).waitFor();
    assert.equal(await page.getByText('Loading…', { exact: true }).count() - await page.getByText('Loading…', { exact: true }).locator(':scope:not(:visible)').count(), 0);
    assert.equal(await page.locator('tr[hidden]').evaluateAll((rows) => rows.filter((r) => r.offsetParent !== null).length), 0);
    const breaks = await page.evaluate(() => getComputedStyle(document.querySelector('.url-line')).wordBreak);
    assert.notEqual(breaks, 'break-all');
    await shot('29-webhook-phone');
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  await t.test('the favicon loads and nothing was refused', () => {
    const bad = consoleErrors.filter((e) => /favicon|Refused to|Content Security Policy|404/.test(e) && !/framing|frame-ancestors|X-Frame-Options/.test(e));
    assert.deepEqual(bad, []);
  });

  await call('DELETE', `/webhooks/${webhook.id}`);
});
