// Browser tests of the web UI (SPEC §8): headless Debian Chromium driven by playwright-core, against the real
// hookd binary and a real HTTP receiver. Walks the PRD's tasks — sign in, create a webhook with grouped event
// checkboxes, send a test, trigger events, see deliveries, retry a failed one, toggle, rotate the secret, read
// the dashboard, delete, sign out — and saves a screenshot of each page under test-output/ui/.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
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

let hookd, base, adminToken, apiKey, receiver, receiverUrl, browser, page;
const received = [];
let failing = false;

function startHookd() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hookd-ui-'));
  const proc = spawn(HOOKD, ['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--allow-http',
    '--allow-private-networks', '--retry-schedule', '200ms', '--circuit-cooldown', '200ms'], { stdio: ['ignore', 'pipe', 'inherit'] });
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

async function call(method, p, body, token = apiKey) {
  const res = await fetch(base + '/api/v1' + p, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
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

const shot = (name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

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
  page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  page.on('pageerror', (err) => { throw err; });
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
    await page.getByText('disabled through the API').waitFor();
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
