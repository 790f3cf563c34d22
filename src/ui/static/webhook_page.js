// hookd web UI: a webhook's page — test send, switch, charts, the delivery log with its filters, retries, replays
// and bulk retry, and its history (activity.js).
// ---- webhook detail: test, delivery log ----

async function renderWebhookDetail(id) {
  let w;
  try { w = await api('GET', `/webhooks/${id}`); } catch (err) { app.replaceChildren(...layout('webhooks', h('div', { class: 'notice error' }, err.message))); return; }
  const newSecret = store.getItem(`hookd.newSecret.${id}`);
  store.removeItem(`hookd.newSecret.${id}`);

  const secretBox = secretControl(w, newSecret, 'This is the signing secret of the new webhook; you can reveal it here again at any time.');

  // The handshake's state, and a way to run it again (SPEC §10).
  const ownership = h('span', { id: 'ownership' });
  function drawOwnership() {
    ownership.replaceChildren(w.verified ? h('span', { class: 'badge healthy' }, 'verified')
      : h('span', {}, h('span', { class: 'badge failing' }, 'not verified'), ' deliveries are held until the endpoint echoes the challenge ',
        !canChange() ? null : h('button', { type: 'button', class: 'small', onclick: async () => {
          try {
            w = await api('POST', `/webhooks/${id}/verify`);
            toast('Endpoint verified; held deliveries are going out');
            drawOwnership();
          } catch (err) { toast(err.message, 'error'); }
        } }, 'Verify now')));
  }
  drawOwnership();

  const testResult = h('div', { role: 'status' });
  // A test sends `webhook.test`, or any subscribed type with that type's example data.
  const subscribed = state.catalog.categories.flatMap((c) => c.events.map((e) => e.type))
    .filter((t) => t !== 'webhook.test' && w.events.some((p) => p === '*' || p === t || (p.endsWith('.*') && t.startsWith(p.slice(0, -1)))));
  const testType = h('select', { id: 'test-event', 'aria-label': 'Test event type' },
    ['webhook.test', ...subscribed].map((t) => h('option', { value: t }, t)));
  const testButton = h('button', { type: 'button', onclick: async () => {
    testButton.disabled = true;
    testResult.replaceChildren(h('p', { class: 'subtle' }, 'Sending a test event…'));
    try {
      const r = await api('POST', `/webhooks/${id}/test`, { event_type: testType.value });
      testResult.replaceChildren(h('div', { class: `notice ${r.success ? 'ok' : 'error'}` },
        h('strong', {}, r.success ? 'Test delivered. ' : 'Test failed. '),
        r.response_status !== null ? `Status ${r.response_status}` : `Error: ${r.error}`, ` · ${r.response_time_ms} ms`),
        ...(r.response_body ? [h('h3', {}, 'Response body'), h('pre', {}, r.response_body)] : []));
    } catch (err) { showError(testResult, err); }
    testButton.disabled = false;
  } }, 'Send test event');

  const deleteButton = h('button', { type: 'button', class: 'danger', onclick: async () => {
    if (!await confirmDialog('Delete this webhook?', `${w.url} will stop receiving events. Its delivery log is kept until the server's retention ends. This cannot be undone.`, 'Delete webhook', true)) return;
    try { await api('DELETE', `/webhooks/${id}`); toast('Webhook deleted'); location.hash = '#/webhooks'; } catch (err) { toast(err.message, 'error'); }
  } }, 'Delete');

  // What changes as deliveries happen (status, circuit, the switch, the reason, the statistics) is drawn by
  // refresh(), which every action on this page calls, so the page never shows a stale state.
  const badges = h('div', { class: 'row' });
  const reason = h('div', {});
  const charts = h('div', { class: 'panel' }, h('h2', {}, 'Last 24 hours'), h('p', { class: 'subtle' }, 'Loading…'));
  function drawState() {
    badges.replaceChildren(h('span', { class: `badge ${w.status}` }, w.status),
      h('span', { class: `badge ${w.circuit}` }, `circuit ${w.circuit.replace('_', '-')}`),
      activeSwitch(w, (updated) => { w = updated; drawState(); refresh(); }));
    reason.replaceChildren(w.status === 'disabled' && w.disabled_reason ? h('div', { class: 'notice error' }, `Disabled: ${w.disabled_reason}`) : '');
  }
  async function refresh() {
    try {
      const [fresh, stats] = await Promise.all([api('GET', `/webhooks/${id}`), api('GET', `/webhooks/${id}/stats?since=24h`)]);
      w = fresh;
      drawState();
      charts.replaceChildren(h('h2', {}, 'Last 24 hours'), statsView(stats));
    } catch (err) { showError(charts, err); }
  }
  drawState();

  const title = webhookTitle(w);
  const head = h('div', { class: 'page-head' },
    h('div', { class: 'title' }, h('h1', {}, title === w.url ? urlText(w.url) : title),
      title !== w.url ? h('div', { class: 'subtle mono url-line' }, urlText(w.url)) : null),
    h('div', { class: 'row' }, badges,
      canChange() ? [h('a', { class: 'button', href: `#/webhooks/${id}/edit` }, 'Edit'), testType, testButton, deleteButton] : null));

  const info = h('div', { class: 'panel' }, reason,
    h('dl', { class: 'kv' },
      w.description && w.description !== title ? [h('dt', {}, 'Description'), h('dd', {}, w.description)] : null,
      h('dt', {}, 'Events'), h('dd', {}, eventChips(w.events)),
      h('dt', {}, 'Environment'), h('dd', {}, w.environment),
      h('dt', {}, 'Rate limit'), h('dd', {}, `${w.rate_limit}/s`),
      h('dt', {}, 'Ordered'), h('dd', {}, w.ordered ? 'yes' : 'no'),
      h('dt', {}, 'Payload'), h('dd', {}, w.payload_format),
      w.verification === 'handshake' ? [h('dt', {}, 'Ownership'), h('dd', {}, ownership)] : null,
      w.tls ? [h('dt', {}, 'Mutual TLS'), h('dd', {},
        w.tls.fingerprint_sha256 ? h('span', {}, 'client certificate ', h('code', { id: 'tls-fingerprint' }, w.tls.fingerprint_sha256.slice(0, 16) + '…'),
          w.tls.expires_at ? ` expires ${fmtTime(w.tls.expires_at)}` : '') : 'no client certificate',
        w.tls.ca_certificates ? '; the endpoint is verified with its own CA bundle' : '')] : null,
      h('dt', {}, w.signing === 'ed25519' ? 'Signing key' : 'Signing secret'), h('dd', {}, secretBox)),
    testResult);

  const log = deliveryLog(w, refresh);
  const history = activityPanel('History', `target_id=${id}`);
  app.replaceChildren(...layout('webhooks', head, info, charts, log.element, history.element));
  log.load();
  history.load();
  refresh();
}

function toIso(localValue) { return localValue ? new Date(localValue).toISOString() : null; }

// The delivery log of `w`; `changed` runs after anything that may change the webhook's state or statistics.
function deliveryLog(w, changed) {
  const types = state.catalog.categories.flatMap((c) => c.events.map((e) => e.type));
  const status = h('select', { id: 'filter-status' }, h('option', { value: '' }, 'Any status'),
    ['pending', 'succeeded', 'failed', 'dead'].map((s) => h('option', { value: s }, s)));
  const eventType = h('select', { id: 'filter-event' }, h('option', { value: '' }, 'Any event'), types.map((t) => h('option', { value: t }, t)));
  const since = h('input', { type: 'datetime-local', id: 'filter-since' });
  const until = h('input', { type: 'datetime-local', id: 'filter-until' });
  const table = h('div', {});
  const pager = h('div', { class: 'pager' });
  const cursors = [null];
  let page = 0;

  function query() {
    const q = new URLSearchParams({ limit: '25' });
    if (status.value) q.set('status', status.value);
    if (eventType.value) q.set('event', eventType.value);
    if (since.value) q.set('since', toIso(since.value));
    if (until.value) q.set('until', toIso(until.value));
    if (cursors[page]) q.set('cursor', cursors[page]);
    return q;
  }

  async function load() {
    table.replaceChildren(h('p', { class: 'subtle' }, 'Loading deliveries…'));
    let res;
    try { res = await api('GET', `/webhooks/${w.id}/deliveries?${query()}`); } catch (err) { return showError(table, err); }
    cursors[page + 1] = res.next_cursor;
    if (!res.data.length) {
      table.replaceChildren(h('div', { class: 'empty' }, h('strong', {}, 'No deliveries'),
        page === 0 ? 'Events this webhook subscribes to will appear here as they are delivered.' : 'No older deliveries.'));
    } else {
      table.replaceChildren(h('table', { class: 'responsive' },
        h('thead', {}, h('tr', {}, ['Time', 'Event', 'Status code', 'Response time', 'Retries', 'Result', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, res.data.flatMap(deliveryRows))));
    }
    pager.replaceChildren(
      h('button', { type: 'button', class: 'small', disabled: page === 0, onclick: () => { page -= 1; load(); } }, '← Newer'),
      h('button', { type: 'button', class: 'small', disabled: !res.next_cursor, onclick: () => { page += 1; load(); } }, 'Older →'));
  }

  function deliveryRows(d) {
    const detail = h('tr', { hidden: true }, h('td', { colspan: 7 }, h('div', { class: 'subtle' }, 'Loading…')));
    const toggle = h('button', { type: 'button', class: 'small', 'aria-expanded': 'false', onclick: async () => {
      const open = toggle.getAttribute('aria-expanded') === 'true';
      toggle.setAttribute('aria-expanded', String(!open));
      toggle.textContent = open ? 'Details' : 'Hide';
      detail.hidden = open;
      if (!open) {
        try { detail.firstChild.replaceChildren(attemptsView(await api('GET', `/deliveries/${d.id}`))); }
        catch (err) { showError(detail.firstChild, err); }
      }
    } }, 'Details');
    const actions = [toggle];
    if (canChange() && (d.status === 'failed' || d.status === 'dead')) {
      actions.push(h('button', { type: 'button', class: 'small', onclick: async () => {
        try { await api('POST', `/deliveries/${d.id}/retry`); toast('Retrying now'); setTimeout(reload, 600); } catch (err) { toast(err.message, 'error'); }
      } }, 'Retry'));
    }
    if (canChange()) {
      actions.push(h('button', { type: 'button', class: 'small', onclick: async () => {
        try { await api('POST', `/events/${d.event_id}/replay`, { webhook_id: w.id }); toast('Replayed: a new delivery is on its way'); setTimeout(reload, 600); }
        catch (err) { toast(err.message, 'error'); }
      } }, 'Replay'));
    }
    const code = d.last_response_status !== null ? String(d.last_response_status) : (d.last_error || '—');
    return [h('tr', { 'data-delivery': d.id },
      h('td', { 'data-label': 'Time' }, fmtTime(d.created_at)),
      h('td', { 'data-label': 'Event' }, h('span', { class: 'mono' }, d.event_type)),
      h('td', { 'data-label': 'Status code' }, code),
      h('td', { 'data-label': 'Response time' }, fmtMs(d.last_response_time_ms)),
      h('td', { 'data-label': 'Retries' }, String(d.retry_count)),
      h('td', { 'data-label': 'Result' }, h('span', { class: `badge ${d.status}` }, d.status === 'succeeded' ? 'success' : d.status)),
      h('td', { 'data-label': '' }, h('div', { class: 'row actions' }, actions))), detail];
  }

  function body(text, truncated) {
    return [h('pre', {}, text || '(empty)'), truncated ? h('div', { class: 'trunc' }, 'Truncated at 10 KiB') : null];
  }

  function attemptsView(d) {
    if (!d.attempts.length) return h('p', { class: 'subtle' }, 'No attempts yet.');
    return h('div', {}, d.attempts.map((a) => h('div', { class: 'attempt' },
      h('div', { class: 'row' }, h('strong', {}, `Attempt ${a.number}`), h('span', { class: 'subtle' }, fmtTime(a.started_at)),
        h('span', { class: `badge ${a.success ? 'succeeded' : 'failed'}` }, a.success ? 'success' : (a.error || `HTTP ${a.response_status}`)),
        h('span', { class: 'subtle' }, fmtMs(a.response_time_ms))),
      h('div', { class: 'grid2' },
        h('div', {}, h('h3', {}, 'Request headers'), h('pre', {}, Object.entries(a.request_headers || {}).map(([k, v]) => `${k}: ${v}`).join('\n')),
          h('h3', {}, 'Request body'), body(a.request_body, a.request_body_truncated)),
        h('div', {}, h('h3', {}, 'Response headers'), h('pre', {}, Object.entries(a.response_headers || {}).map(([k, v]) => `${k}: ${v}`).join('\n') || '(none)'),
          h('h3', {}, 'Response body'), body(a.response_body, a.response_body_truncated))))));
  }

  const bulk = h('button', { type: 'button', onclick: async () => {
    const range = { since: toIso(since.value), until: toIso(until.value) };
    if (status.value === 'failed' || status.value === 'dead') range.status = status.value;
    try {
      const { count } = await api('POST', `/webhooks/${w.id}/retry?dry_run=true`, range);
      if (!count) { toast('Nothing to retry in that range'); return; }
      const when = since.value || until.value ? 'in the selected date range' : 'of all time';
      if (!await confirmDialog('Retry failed deliveries?', `This will retry ${plural(count, 'failed or dead delivery', 'failed or dead deliveries')} ${when}.`, `Retry ${count}`)) return;
      const r = await api('POST', `/webhooks/${w.id}/retry`, range);
      toast(`Retrying ${plural(r.retried, 'delivery', 'deliveries')}`);
      setTimeout(reload, 800);
    } catch (err) { toast(err.message, 'error'); }
  } }, 'Bulk retry…');

  // The log and, through `changed`, the webhook's state and statistics above it.
  function reload() { load(); changed(); }
  const apply = () => { cursors.length = 1; page = 0; load(); };
  for (const f of [status, eventType, since, until]) f.addEventListener('change', apply);
  const element = h('section', { class: 'panel', 'aria-labelledby': 'log-title' },
    h('div', { class: 'row' }, h('h2', { id: 'log-title' }, 'Delivery log'), h('span', { class: 'spacer' }),
      h('button', { type: 'button', class: 'small', onclick: reload }, 'Refresh'), canChange() ? bulk : null),
    h('div', { class: 'filters' },
      h('div', {}, h('label', { for: 'filter-status' }, 'Status'), status),
      h('div', {}, h('label', { for: 'filter-event' }, 'Event type'), eventType),
      h('div', {}, h('label', { for: 'filter-since' }, 'From'), since),
      h('div', {}, h('label', { for: 'filter-until' }, 'To'), until),
      h('button', { type: 'button', onclick: () => { status.value = ''; eventType.value = ''; since.value = ''; until.value = ''; apply(); } }, 'Clear')),
    table, pager);
  return { element, load };
}
