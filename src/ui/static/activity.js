// hookd web UI: the audit trail — the account's Activity page, and a webhook's history on its own page. Each row is
// one record of GET /api/v1/audit-log: when, who (an API key, a portal link, the admin or hookd itself), what, and
// each changed field before and after (secrets arrive redacted).
// ---- activity ----

const ACTION_LABELS = {
  'account.created': 'Account created', 'account.updated': 'Account updated', 'account.deleted': 'Account deleted',
  'api_key.created': 'API key created', 'api_key.revoked': 'API key revoked',
  'webhook.created': 'Webhook created', 'webhook.updated': 'Webhook updated', 'webhook.deleted': 'Webhook deleted',
  'webhook.enabled': 'Webhook enabled', 'webhook.disabled': 'Webhook disabled',
  'webhook.auto_disabled': 'Webhook disabled by hookd', 'webhook.secret_revealed': 'Signing secret revealed',
  'webhook.secret_rotated': 'Signing secret rotated', 'webhook.verified': 'Webhook verified',
  'webhook.circuit_opened': 'Circuit opened', 'webhook.circuit_closed': 'Circuit closed',
  'event_type.created': 'Event type added', 'event_type.deleted': 'Event type removed',
  'portal_session.created': 'Portal link opened', 'portal_session.revoked': 'Portal link revoked',
  'delivery.retried': 'Delivery retried', 'webhook.deliveries_retried': 'Deliveries retried in bulk',
  'webhook.replayed': 'Events replayed', 'event.replayed': 'Event replayed',
};

function actorText(actor) {
  if (actor.type === 'system') return 'hookd';
  if (actor.type === 'admin') return 'Administrator';
  if (actor.type === 'portal_session') return `Portal link ${actor.id}`;
  return `API key ${actor.id}`;
}

function valueText(v) {
  if (v === null || v === undefined) return '—';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function changesView(changes) {
  const fields = Object.keys(changes || {});
  if (!fields.length) return null;
  return h('dl', { class: 'kv changes' }, fields.map((f) => [h('dt', {}, f),
    h('dd', { class: 'mono' }, `${valueText(changes[f].before)} → ${valueText(changes[f].after)}`)]));
}

// A panel of audit records for `query` (e.g. `target_id=wh_…`), newest first, with "Show more" paging.
function activityPanel(title, query) {
  const rows = h('tbody', {});
  const more = h('button', { type: 'button', class: 'small', hidden: true }, 'Show more');
  const status = h('p', { class: 'subtle' }, 'Loading…');
  let cursor = null;
  async function load() {
    more.disabled = true;
    try {
      const page = await api('GET', `/audit-log?limit=25${query ? `&${query}` : ''}${cursor ? `&cursor=${cursor}` : ''}`);
      for (const r of page.data) {
        const target = r.target.type === 'webhook' && !query.startsWith('target_id=')
          ? h('a', { href: `#/webhooks/${r.target.id}` }, r.target.id) : r.target.id;
        rows.append(h('tr', {},
          h('td', { 'data-label': 'When' }, h('time', { datetime: r.at }, fmtTime(r.at))),
          h('td', { 'data-label': 'Who' }, actorText(r.actor), r.ip ? h('div', { class: 'subtle' }, r.ip) : null),
          h('td', { 'data-label': 'What' }, h('strong', {}, ACTION_LABELS[r.action] || r.action),
            h('div', { class: 'subtle mono' }, target), changesView(r.changes))));
      }
      cursor = page.next_cursor;
      more.hidden = !cursor;
      status.replaceChildren(rows.children.length ? '' : 'Nothing recorded yet.');
    } catch (err) { showError(status, err); }
    more.disabled = false;
  }
  more.onclick = load;
  const element = h('section', { class: 'panel activity', 'aria-label': title }, h('h2', {}, title), status,
    h('table', { class: 'responsive' },
      h('thead', {}, h('tr', {}, ['When', 'Who', 'What'].map((t) => h('th', { scope: 'col' }, t)))), rows), more);
  return { element, load };
}

async function renderActivity() {
  const panel = activityPanel('Every change, newest first', '');
  app.replaceChildren(...layout('activity', h('div', { class: 'page-head' }, h('h1', {}, 'Activity')), panel.element));
  panel.load();
}
