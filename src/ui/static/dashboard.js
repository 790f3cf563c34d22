// hookd web UI: the dashboard — the account's delivery statistics over time and every webhook's numbers.
// ---- dashboard ----

function statsView(stats) {
  const C = window.HookdCharts;
  const labels = stats.series.map((p) => new Date(p.time).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' }));
  const volume = C.stackedBars('Delivery volume', labels, [
    { name: 'succeeded', color: '#17803d', values: stats.series.map((p) => p.succeeded) },
    { name: 'failed or dead', color: '#c0262d', values: stats.series.map((p) => p.failed + p.dead) },
    { name: 'pending', color: '#d8a02c', values: stats.series.map((p) => p.pending) }]);
  const rate = C.lines('Success rate', labels, [{ name: 'success rate', color: '#3451d1',
    values: stats.series.map((p) => (p.total ? (p.succeeded / p.total) * 100 : null)) }], 100, (v) => `${Math.round(v)}%`);
  const latency = C.lines('Latency', labels, [
    { name: 'p50', color: '#3451d1', values: stats.series.map((p) => p.p50_latency_ms) },
    { name: 'p95', color: '#c76b00', values: stats.series.map((p) => p.p95_latency_ms) }], 0, (v) => `${Math.round(v)} ms`);
  const card = (label, value) => h('div', { class: 'card' }, h('div', { class: 'value' }, value), h('div', { class: 'label' }, label));
  const legend = (...items) => h('div', { class: 'legend' }, items.map(([c, l]) => h('span', {}, h('i', { style: null, class: 'sw', 'data-color': c }), l)));
  const chart = (title, svg, leg) => h('div', { class: 'card chart' }, h('div', { class: 'label' }, title), svg, leg);
  const root = h('div', {},
    h('div', { class: 'cards' }, card('Deliveries', stats.total.toLocaleString()), card('Success rate', stats.total ? pct(stats.success_rate) : '—'),
      card('p50 latency', fmtMs(stats.p50_latency_ms)), card('p95 latency', fmtMs(stats.p95_latency_ms))),
    stats.total ? h('div', { class: 'charts' },
      chart('Volume', volume, legend(['#17803d', 'succeeded'], ['#c0262d', 'failed or dead'], ['#d8a02c', 'pending'])),
      chart('Success rate', rate, null),
      chart('Latency (event → response)', latency, legend(['#3451d1', 'p50'], ['#c76b00', 'p95'])))
      : h('div', { class: 'empty' }, h('strong', {}, 'No deliveries in this period'), 'Charts appear once events are delivered.'));
  for (const i of root.querySelectorAll('i.sw')) i.style.background = i.dataset.color;
  return root;
}

async function renderDashboard() {
  const range = new URLSearchParams(location.hash.split('?')[1] || '').get('since') || '24h';
  const body = h('div', {}, h('p', { class: 'subtle' }, 'Loading statistics…'));
  const picker = h('select', { 'aria-label': 'Period', onchange: () => { store.setItem('hookd.range', picker.value); renderDashboard(); } },
    [['1h', 'Last hour'], ['24h', 'Last 24 hours'], ['7d', 'Last 7 days']].map(([v, l]) => h('option', { value: v, selected: (store.getItem('hookd.range') || range) === v }, l)));
  app.replaceChildren(...layout('dashboard', h('div', { class: 'page-head' }, h('h1', {}, 'Dashboard'), picker), body));
  try {
    const since = picker.value;
    const [stats, webhooks] = await Promise.all([api('GET', `/stats?since=${since}`), api('GET', '/webhooks?limit=1000')]);
    const byId = new Map(stats.webhooks.map((s) => [s.webhook_id, s]));
    const order = { failing: 0, disabled: 1, healthy: 2 };
    const rows = webhooks.data.slice().sort((a, b) => order[a.status] - order[b.status] ||
      ((byId.get(a.id) || {}).success_rate ?? 1) - ((byId.get(b.id) || {}).success_rate ?? 1)).map((w) => {
      const s = byId.get(w.id) || { total: 0, success_rate: 0, p95_latency_ms: null, dead: 0 };
      return h('tr', { class: 'clickable', onclick: () => { location.hash = `#/webhooks/${w.id}`; } },
        h('td', { 'data-label': 'Webhook' }, h('a', { class: 'url', href: `#/webhooks/${w.id}` }, w.name || w.url)),
        h('td', { 'data-label': 'Status' }, statusBadge(w)),
        h('td', { 'data-label': 'Deliveries' }, s.total.toLocaleString()),
        h('td', { 'data-label': 'Success rate' }, s.total ? pct(s.success_rate) : '—'),
        h('td', { 'data-label': 'Dead' }, String(s.dead)),
        h('td', { 'data-label': 'p95 latency' }, fmtMs(s.p95_latency_ms)));
    });
    body.replaceChildren(h('div', { class: 'panel' }, h('h2', {}, 'All webhooks'), statsView(stats)),
      h('div', { class: 'panel' }, h('h2', {}, 'By webhook (failing first)'), rows.length
        ? h('table', { class: 'responsive' }, h('thead', {}, h('tr', {}, ['Webhook', 'Status', 'Deliveries', 'Success rate', 'Dead', 'p95 latency'].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, rows))
        : h('div', { class: 'empty' }, h('strong', {}, 'No webhooks yet'), h('a', { href: '#/webhooks/new' }, 'Add one'))));
  } catch (err) { showError(body, err); }
}
