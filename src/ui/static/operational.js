// hookd web UI: the account's operational webhooks — the platform's own endpoints that hear when this account's
// endpoints fail, are disabled, recover or change — each with the notices it was sent. Shown to an API key's
// sign-in only: a portal link (the platform's customer) never sees them. They are managed through the API.
// ---- operational webhooks ----

function noticeRows(deliveries) {
  return deliveries.map((d) => h('tr', {},
    h('td', { 'data-label': 'Time' }, h('time', { datetime: d.created_at }, fmtTime(d.created_at))),
    h('td', { 'data-label': 'Notice' }, h('span', { class: 'mono' }, d.event_type)),
    h('td', { 'data-label': 'Status code' }, d.last_response_status === null ? '—' : String(d.last_response_status)),
    h('td', { 'data-label': 'Result' }, h('span', { class: `badge ${d.status === 'succeeded' ? 'healthy' : d.status === 'dead' ? 'disabled' : 'failing'}` }, d.status))));
}

async function renderOperational() {
  const body = h('div', {}, h('p', { class: 'subtle' }, 'Loading…'));
  app.replaceChildren(...layout('operational', h('div', { class: 'page-head' }, h('h1', {}, 'Operational webhooks')),
    h('p', { class: 'subtle' }, 'Your own endpoints, told when this account\'s endpoints fail, are disabled, recover or change, and when a delivery dies. Manage them with /api/v1/operational-webhooks.'),
    body));
  try {
    const list = await api('GET', '/operational-webhooks');
    if (!list.data.length) {
      body.replaceChildren(h('div', { class: 'empty' }, h('strong', {}, 'No operational webhooks'), 'Register one with POST /api/v1/operational-webhooks.'));
      return;
    }
    const panels = await Promise.all(list.data.map(async (o) => {
      const log = await api('GET', `/operational-webhooks/${o.id}/deliveries?limit=20`);
      return h('section', { class: 'panel', 'aria-label': o.url },
        h('div', { class: 'row' }, h('h2', { class: 'mono url-line' }, urlText(o.url)), h('span', { class: 'spacer' }),
          h('span', { class: `badge ${o.active ? 'healthy' : 'disabled'}` }, o.active ? 'active' : 'off')),
        h('dl', { class: 'kv' }, o.description ? [h('dt', {}, 'Description'), h('dd', {}, o.description)] : null,
          h('dt', {}, 'Hears'), h('dd', {}, eventChips(o.events)), h('dt', {}, 'Id'), h('dd', { class: 'mono' }, o.id)),
        log.data.length
          ? h('table', { class: 'responsive' }, h('thead', {}, h('tr', {}, ['Time', 'Notice', 'Status code', 'Result'].map((t) => h('th', { scope: 'col' }, t)))),
            h('tbody', {}, noticeRows(log.data)))
          : h('p', { class: 'subtle' }, 'No notices sent yet.'));
    }));
    body.replaceChildren(...panels);
  } catch (err) { showError(body, err); }
}
