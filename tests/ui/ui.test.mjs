// Browser tests of the web UI (SPEC §8), through the harness (harness.mjs): walks the PRD's tasks — sign in, create
// a webhook with grouped event checkboxes, send a test, trigger events, see deliveries, retry a failed one, toggle,
// rotate the secret, read the dashboard, the history and the Activity page, delete, sign out — then portal links
// (manage, read-only, expired, revoked).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, newPage, portalLink, received, setUp, shot, tearDown, ui, until } from './harness.mjs';

let base, apiKey, receiverUrl, page;
before(async () => {
  await setUp();
  ({ base, apiKey, receiverUrl, page } = ui);
});
after(tearDown);

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
    ui.failing = true;
    await call('POST', '/events', { type: 'task.created', data: { task: 3 } });
    await until(async () => (await call('GET', `/webhooks/${webhookId}/deliveries?status=dead`)).json.data.length === 1, 'a dead delivery', 15000);
    ui.failing = false;
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

  await t.test('switch to Ed25519: the page shows the key id and where the public keys are published', async () => {
    await page.getByLabel('Signatures').selectOption('ed25519');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('#key-id').waitFor();
    const webhook = (await call('GET', `/webhooks/${webhookId}`)).json;
    assert.equal(webhook.signing, 'ed25519');
    assert.equal(await page.locator('#key-id').textContent(), webhook.key_id);
    assert.equal(await page.locator('#public-key').textContent(), webhook.public_key);
    const published = await page.getByRole('link', { name: /jwks\.json$/ }).getAttribute('href');
    const jwks = await (await fetch(published)).json();
    assert.ok(jwks.keys.some((k) => k.kid === webhook.key_id));
    await shot('11b-webhook-ed25519');
  });

  await t.test('ask for the handshake: the page says deliveries are held, and Verify now says why it failed', async () => {
    await page.goto(base + `/settings/webhooks#/webhooks/${webhookId}/edit`);
    await page.getByLabel('Ownership check').selectOption('handshake');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('#ownership').getByText('not verified').waitFor();
    assert.equal((await call('GET', `/webhooks/${webhookId}`)).json.verified, false);
    await page.getByRole('button', { name: 'Verify now' }).click();
    await page.getByText('without echoing the challenge').waitFor();  // the receiver answers, but echoes nothing
    await shot('11c-webhook-handshake');
    assert.equal((await call('PATCH', `/webhooks/${webhookId}`, { verification: 'none' })).status, 200);
  });

  await t.test('mutual TLS: a key that is not a key is refused in place, and nothing is saved', async () => {
    await page.goto(base + `/settings/webhooks#/webhooks/${webhookId}/edit`);
    await page.getByText('Mutual TLS (optional)').click();
    await page.getByLabel('Client certificate (PEM)').fill('-----BEGIN CERTIFICATE-----\nnot one\n-----END CERTIFICATE-----');
    await page.getByLabel(/^Client key/).fill('not a key');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('#err-tls\\.client_certificate').getByText('is not a PEM certificate').waitFor();
    assert.equal((await call('GET', `/webhooks/${webhookId}`)).json.tls, null);
    await shot('11d-webhook-tls-refused');
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

test('portal links sign a browser in without an API key', async (t) => {
  const webhook = (await call('POST', '/webhooks?verify=false', { url: receiverUrl, events: ['task.*'], name: 'Portal sync' })).json;
  ui.failing = true;
  await call('POST', '/events', { type: 'task.created', data: { n: 1 } });
  await until(async () => (await call('GET', `/webhooks/${webhook.id}/deliveries?status=dead`)).json.data.length === 1, 'a dead delivery', 15000);
  ui.failing = false;

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
