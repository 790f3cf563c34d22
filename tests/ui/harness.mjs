// The browser tests' harness (SPEC §8): the real hookd binary with a real HTTP receiver, headless Debian Chromium
// driven by playwright-core, the API client, and screenshots (test-output/ui/) that are also accessibility audits:
// axe-core fails the test on any serious or critical violation. The test files import it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const HOOKD = process.env.HOOKD_BIN || path.join(root, 'build/hookd');
export const SHOTS = path.join(root, 'test-output/ui');
mkdirSync(SHOTS, { recursive: true });
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

// What every test file shares: the hookd under test, its receiver (answering 500 while `failing`), the account's
// key and the browser's shared page. Set by setUp.
export const ui = { hookd: null, base: '', adminToken: '', apiKey: '', receiver: null, receiverUrl: '', browser: null,
  page: null, failing: false };
export const received = [];

export function startHookd(...extra) {
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

export async function call(method, p, body, token = ui.apiKey, at = ui.base) {
  const res = await fetch(at + '/api/v1' + p, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

export async function until(fn, what, timeout = 10000) {
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
export async function audit(name, on = ui.page) {
  if (!await on.evaluate(() => typeof window.axe === 'object')) await on.evaluate(AXE);
  const { violations } = await on.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`), [],
    `accessibility violations on ${name}`);
}

// A screenshot of the whole page, which is also audited.
export async function shot(name, on = ui.page) {
  await on.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  await audit(name, on);
}

export const consoleErrors = [];

// A page in a fresh browser context (its own sessionStorage), whose script errors fail the test and whose console
// errors and failed loads (a 404 favicon, a CSP refusal) are collected.
export async function newPage(viewport = { width: 1280, height: 860 }) {
  const p = await (await ui.browser.newContext({ viewport })).newPage();
  p.on('pageerror', (err) => { throw err; });
  p.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  return p;
}

// Starts hookd, the receiver, an account with a key, and the browser with its shared page.
export async function setUp() {
  ({ proc: ui.hookd, base: ui.base, adminToken: ui.adminToken } = await startHookd());
  ui.receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(ui.failing ? 500 : 200, { 'Content-Type': 'application/json' });
      res.end(ui.failing ? '{"error":"down for maintenance"}' : '{"ok":true}');
    });
  });
  await new Promise((r) => ui.receiver.listen(0, '127.0.0.1', r));
  ui.receiverUrl = `http://127.0.0.1:${ui.receiver.address().port}/hooks`;
  const account = await call('POST', '/accounts', { name: 'Acme', email: 'ops@acme.test' }, ui.adminToken);
  ui.apiKey = (await call('POST', `/accounts/${account.json.id}/api-keys`, { name: 'ui' }, ui.adminToken)).json.key;
  ui.browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'] });
  ui.page = await newPage();
}

export async function tearDown() {
  await ui.browser?.close();
  ui.receiver?.close();
  ui.hookd?.kill('SIGTERM');
}

export async function portalLink(body) {
  const r = await call('POST', '/portal-sessions', body);
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r.json;
}

// Opens `hash` in the shared page, signed in with the account's API key whatever the page held before.
export async function openSignedIn(hash) {
  await ui.page.goto(ui.base + '/settings/webhooks');
  await ui.page.evaluate((key) => sessionStorage.setItem('hookd.apiKey', key), ui.apiKey);
  await ui.page.goto('about:blank');
  await ui.page.goto(ui.base + '/settings/webhooks' + hash);
}
