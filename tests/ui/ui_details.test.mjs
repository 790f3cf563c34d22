// Browser tests of the web UI (SPEC §8), through the harness (harness.mjs): the UI framed by an allowed and a
// refused origin, keyboard use, and the details a product manager would catch.
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { call, consoleErrors, newPage, openSignedIn, setUp, shot, SHOTS, startHookd, tearDown, ui, until } from './harness.mjs';

let base, receiverUrl, page;
before(async () => {
  await setUp();
  ({ base, receiverUrl, page } = ui);
});
after(tearDown);

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
    ui.failing = true;
    await call('POST', '/events', { type: 'task.created', data: { n: 2 } });
    await until(async () => (await call('GET', `/webhooks/${webhook.id}/deliveries?status=dead`)).json.data.length === 1, 'a dead delivery', 15000);
    ui.failing = false;
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
    ui.failing = true;
    await call('POST', '/events', { type: 'task.created', data: { n: 3 } });
    await until(async () => (await call('GET', `/webhooks/${webhook.id}/deliveries?status=dead`)).json.data.length === 1, 'a dead delivery', 15000);
    ui.failing = false;
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
