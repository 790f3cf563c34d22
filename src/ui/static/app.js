// hookd web UI: a small single-page app over the REST API (/api/v1). Routes live in the URL hash (#/webhooks,
// #/webhooks/new, #/webhooks/<id>, #/webhooks/<id>/edit, #/dashboard). The API key, or the token of a portal
// link (#portal=hkp_…, SPEC §3), is kept in sessionStorage (cleared on sign-out or when the tab closes); a portal
// token leaves the address bar and the history as soon as it is read. DOM is built with h(), which only ever sets
// text, so data from the API can never become markup.
'use strict';

// The tab's session storage, or, where the browser refuses it (a third-party frame with storage blocked), a map
// that lasts as long as the page.
const store = (() => {
  try {
    sessionStorage.setItem('hookd.probe', '1');
    sessionStorage.removeItem('hookd.probe');
    return sessionStorage;
  } catch {
    const kept = new Map();
    return { getItem: (k) => (kept.has(k) ? kept.get(k) : null), setItem: (k, v) => kept.set(k, String(v)), removeItem: (k) => kept.delete(k) };
  }
})();

const KEY_STORAGE = 'hookd.apiKey';
const RETURN_STORAGE = 'hookd.returnUrl';  // where a portal session's "back" link goes
const app = document.getElementById('app');

(function takePortalToken() {
  const m = location.hash.match(/^#portal=(hkp_[0-9a-f]+)$/);
  if (!m) return;
  store.setItem(KEY_STORAGE, m[1]);
  store.removeItem(RETURN_STORAGE);
  history.replaceState(null, '', `${location.pathname}#/webhooks`);
})();

const state = { key: store.getItem(KEY_STORAGE), account: null, server: null, catalog: null, portal: null };
// Signed in through a portal link rather than with an API key.
const viaPortal = () => (state.key || '').startsWith('hkp_');
// Whether this browser may change anything (a read-only portal session may not; the server refuses it too).
const canChange = () => !state.portal || state.portal.access === 'manage';
const plural = (n, one, many) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

// ---- DOM helpers ----

function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'class') node.className = v;
    else if (k === 'checked' || k === 'value' || k === 'disabled' || k === 'selected') node[k] = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

// A short message in the corner; at most two at a time, so they never pile up over the page.
function toast(message, kind = 'ok') {
  const box = document.getElementById('toasts');
  const t = h('div', { class: `toast ${kind}` }, message);
  box.appendChild(t);
  while (box.children.length > 2) box.firstChild.remove();
  setTimeout(() => t.remove(), kind === 'error' ? 7000 : 3500);
}

function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function fmtMs(ms) { return ms === null || ms === undefined ? '—' : `${ms} ms`; }
function pct(x) { return `${(x * 100).toFixed(x === 1 || x === 0 ? 0 : 1)}%`; }

// A confirmation dialog; resolves true when confirmed. Keyboard: Esc cancels, focus starts on Cancel, Tab stays
// inside the dialog (it is modal), and focus returns to where it was when the dialog closes.
function confirmDialog(title, message, confirmLabel = 'Confirm', danger = false) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const cancel = h('button', { type: 'button', onclick: () => close(false) }, 'Cancel');
    const ok = h('button', { type: 'button', class: danger ? 'danger solid' : 'primary', onclick: () => close(true) }, confirmLabel);
    const dialog = h('dialog', { 'aria-labelledby': 'dlg-title', 'aria-describedby': 'dlg-text' },
      h('h2', { id: 'dlg-title' }, title), h('p', { id: 'dlg-text' }, message), h('div', { class: 'row' }, h('span', { class: 'spacer' }), cancel, ok));
    dialog.addEventListener('keydown', (e) => {  // keep Tab between the dialog's two buttons
      if (e.key !== 'Tab') return;
      const [first, last] = [cancel, ok];
      if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
      else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
    });
    function close(result) {
      dialog.close(); dialog.remove();
      if (opener && opener.isConnected) opener.focus();
      resolve(result);
    }
    dialog.addEventListener('cancel', (e) => { e.preventDefault(); close(false); });
    document.body.appendChild(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

async function copy(text) {
  try { await navigator.clipboard.writeText(text); toast('Copied to the clipboard'); }
  catch { toast('Copy failed: select the text and copy it by hand', 'error'); }
}

// ---- API client ----

class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || `HTTP ${status}`);
    this.status = status;
    this.code = err.code || 'http_error';
    this.details = err.details || [];
  }
}

async function api(method, path, body, key = state.key) {
  const init = { method, headers: { Authorization: `Bearer ${key}` } };
  if (body !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
  let res;
  try { res = await fetch(`/api/v1${path}`, init); }
  catch { throw new ApiError(0, { error: { message: 'Cannot reach hookd. Is it running?' } }); }
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) {
    if (res.status === 401 && key === state.key) {
      if (viaPortal()) renderLinkEnded(data && data.error ? data.error.code : '');
      else signOut('Your session ended: sign in again.');
    }
    throw new ApiError(res.status, data);
  }
  return data;
}

function showError(container, err) {
  container.replaceChildren(h('div', { class: 'notice error', role: 'alert' }, err.message || String(err)));
}

// ---- sign in / out, layout, routing ----

function forget() {
  store.removeItem(KEY_STORAGE);
  Object.assign(state, { key: null, account: null, server: null, catalog: null, portal: null });
}

function signOut(message) {
  if (viaPortal()) return renderLinkEnded('signed_out');
  forget();
  location.hash = '';
  renderSignIn(message);
}

// Where a portal session ends: signed out, expired or revoked. A page that says so, with the way back to the
// platform's product when the link named one; never the API-key form, which is not for the platform's customers.
function renderLinkEnded(reason) {
  forget();
  const back = store.getItem(RETURN_STORAGE);
  const [title, text] = reason === 'signed_out'
    ? ['You are signed out', 'To manage your webhooks again, open the webhook settings from your account.']
    : reason === 'session_expired'
      ? ['This link has expired', 'Links to the webhook settings work for a limited time. Open the webhook settings from your account again to get a new one.']
      : ['This link is no longer valid', 'It was revoked or is not a valid link. Open the webhook settings from your account again to get a new one.'];
  history.replaceState(null, '', location.pathname);
  app.replaceChildren(h('main', { id: 'main' }, h('div', { class: 'panel signin', role: 'alert' },
    h('h1', {}, title), h('p', {}, text),
    back ? h('a', { class: 'button primary', href: back }, 'Back to your account') : null)));
}

function renderSignIn(message) {
  const input = h('input', { type: 'password', id: 'api-key', autocomplete: 'off', placeholder: 'hk_…', required: true });
  const error = h('div', { role: 'alert' }, message ? h('div', { class: 'notice warn' }, message) : null);
  const form = h('form', { class: 'panel signin', onsubmit: async (e) => {
    e.preventDefault();
    const key = input.value.trim();
    try {
      await api('GET', '/account', undefined, key);
      state.key = key;
      store.setItem(KEY_STORAGE, key);
      location.hash = '#/webhooks';
      render();
    } catch (err) {
      error.replaceChildren(h('div', { class: 'notice error' }, err.status === 401 ? 'That API key is not valid.' : err.message));
    }
  } },
    h('h1', {}, 'hookd'), h('p', { class: 'subtle' }, 'Sign in with an API key of your account to manage its webhooks.'),
    error, h('div', { class: 'field' }, h('label', { for: 'api-key' }, 'API key'), input,
      h('div', { class: 'help' }, 'Kept only in this browser tab; signing out forgets it.')),
    h('button', { class: 'primary', type: 'submit' }, 'Sign in'));
  app.replaceChildren(h('main', { id: 'main' }, form));
  input.focus();
}

function layout(active, ...content) {
  const link = (href, label, name) => h('a', { href, 'aria-current': active === name ? 'page' : null }, label);
  const back = state.portal && state.portal.return_url;
  return [
    h('header', { class: 'top' }, h('a', { class: 'brand', href: '#/webhooks' }, 'hookd'),
      h('nav', { 'aria-label': 'Main' }, link('#/webhooks', 'Webhooks', 'webhooks'), link('#/dashboard', 'Dashboard', 'dashboard')),
      h('span', { class: 'who' }, state.account ? state.account.name : ''),
      back ? h('a', { class: 'back', href: back }, '← Back') : null,
      h('button', { class: 'small', type: 'button', onclick: () => signOut() }, 'Sign out')),
    h('main', { id: 'main' },
      canChange() ? null : h('div', { class: 'notice info' }, h('strong', {}, 'View only. '), 'You can see this account\'s webhooks and deliveries, but not change them.'),
      ...content),
  ];
}

async function ensureContext() {
  if (viaPortal() && !state.portal) {
    state.portal = await api('GET', '/portal-sessions/current');
    if (state.portal.return_url) store.setItem(RETURN_STORAGE, state.portal.return_url);
  }
  if (!state.account) state.account = await api('GET', '/account');
  if (!state.server) state.server = await api('GET', '/server-info');
  if (!state.catalog) state.catalog = await api('GET', '/webhooks/events/available');
}

const routes = [
  [/^#\/webhooks\/new$/, () => renderWebhookForm(null)],
  [/^#\/webhooks\/(wh_[0-9A-Z]+)\/edit$/, (m) => renderWebhookForm(m[1])],
  [/^#\/webhooks\/(wh_[0-9A-Z]+)$/, (m) => renderWebhookDetail(m[1])],
  [/^#\/dashboard$/, () => renderDashboard()],
  [/^(#\/webhooks)?$/, () => renderWebhookList()],
];

async function render() {
  if (!state.key) return renderSignIn();
  try { await ensureContext(); } catch (err) { if (state.key) app.replaceChildren(...layout('', h('div', { class: 'notice error' }, err.message))); return; }
  if (!canChange() && /\/(new|edit)$/.test(location.hash)) {
    app.replaceChildren(...layout('webhooks', h('div', { class: 'empty' }, h('strong', {}, 'This view is read-only'), h('a', { href: '#/webhooks' }, 'Back to webhooks'))));
    return;
  }
  for (const [re, view] of routes) {
    const m = location.hash.match(re);
    if (m) return view(m);
  }
  app.replaceChildren(...layout('', h('div', { class: 'empty' }, h('strong', {}, 'Page not found'), h('a', { href: '#/webhooks' }, 'Back to webhooks'))));
}

window.addEventListener('hashchange', render);

// ---- webhooks list ----

function statusBadge(w) {
  return h('div', {}, h('span', { class: `badge ${w.status}` }, w.status),
    w.status === 'disabled' && w.disabled_reason ? h('div', { class: 'reason' }, w.disabled_reason) : null);
}

function eventChips(events) {
  const shown = events.slice(0, 3).map((e) => h('span', { class: 'chip' }, e === '*' ? 'all events' : e));
  if (events.length > 3) shown.push(h('span', { class: 'chip' }, `+${events.length - 3} more`));
  return h('div', { class: 'chips' }, shown);
}

// A URL with break opportunities after its slashes, dots and question marks, so a narrow screen wraps it between
// its parts rather than inside a word.
function urlText(url) {
  return url.split(/(?<=[/.?&=])/).flatMap((part, i) => (i ? [h('wbr', {}), part] : [part]));
}

// What a webhook is called: its name, else its description, else its URL.
function webhookTitle(w) { return w.name || w.description || w.url; }

function activeSwitch(w, onChange) {
  if (!canChange()) return h('span', { class: 'subtle' }, w.active ? 'On' : 'Off');
  const sw = h('button', { type: 'button', class: 'switch', role: 'switch', 'aria-checked': String(w.active),
    'aria-label': `${w.active ? 'Disable' : 'Enable'} webhook ${w.name || w.url}`,
    onclick: async (e) => {
      e.stopPropagation();
      sw.disabled = true;
      try {
        const updated = await api('PATCH', `/webhooks/${w.id}`, { active: !w.active });
        toast(updated.active ? 'Webhook enabled' : 'Webhook disabled');
        onChange(updated);
      } catch (err) { toast(err.message, 'error'); sw.disabled = false; }
    } });
  return sw;
}

async function renderWebhookList() {
  const body = h('div', { class: 'panel' }, h('p', { class: 'subtle' }, 'Loading webhooks…'));
  app.replaceChildren(...layout('webhooks',
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'Webhooks'),
      h('div', { class: 'subtle' }, 'Endpoints of your account that receive signed events.')),
      canChange() ? h('a', { class: 'button primary', href: '#/webhooks/new' }, '+ Add webhook') : null),
    body));
  let list;
  try { list = (await api('GET', '/webhooks?limit=1000')).data; } catch (err) { return showError(body, err); }
  if (!list.length) {
    body.replaceChildren(h('div', { class: 'empty' }, h('strong', {}, 'No webhooks yet'),
      canChange() ? [h('p', {}, 'Add an endpoint and choose the events it should receive.'),
        h('a', { class: 'button primary', href: '#/webhooks/new' }, '+ Add webhook')] : null));
    return;
  }
  const order = { failing: 0, disabled: 1, healthy: 2 };
  list.sort((a, b) => order[a.status] - order[b.status]);
  const rows = list.map((w) => {
    const row = h('tr', { class: 'clickable', onclick: () => { location.hash = `#/webhooks/${w.id}`; } },
      h('td', { 'data-label': 'Endpoint' }, h('a', { class: 'url', href: `#/webhooks/${w.id}`, onclick: (e) => e.stopPropagation() }, urlText(w.url)),
        w.name || w.description ? h('div', { class: 'name' }, w.name || w.description) : null),
      h('td', { 'data-label': 'Events' }, eventChips(w.events)),
      h('td', { 'data-label': 'Environment' }, w.environment),
      h('td', { 'data-label': 'Status' }, statusBadge(w)),
      h('td', { 'data-label': 'Circuit' }, h('span', { class: `badge ${w.circuit}` }, w.circuit.replace('_', '-'))),
      h('td', { 'data-label': 'Enabled' }, activeSwitch(w, () => renderWebhookList())));
    return row;
  });
  body.replaceChildren(h('table', { class: 'responsive' },
    h('thead', {}, h('tr', {}, ['Endpoint', 'Events', 'Environment', 'Status', 'Circuit', 'Enabled'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows)));
}

// ---- webhook form ----

function eventSelector(selected) {
  const patterns = new Set(selected || []);
  const matches = (type) => patterns.has('*') || patterns.has(type) ||
    [...patterns].some((p) => p.endsWith('.*') && type.startsWith(p.slice(0, -1)));
  const all = h('input', { type: 'checkbox', id: 'events-all', checked: patterns.has('*') });
  const boxes = [];
  const groups = state.catalog.categories.filter((c) => c.name !== 'Webhook').map((cat) => {
    const catBoxes = cat.events.map((e) => {
      const box = h('input', { type: 'checkbox', value: e.type, checked: matches(e.type), 'data-category': cat.name });
      boxes.push(box);
      return h('label', { class: 'check', title: e.description }, box, e.type);
    });
    const catAll = h('input', { type: 'checkbox', 'aria-label': `All ${cat.name} events`,
      checked: catBoxes.length > 0 && cat.events.every((e) => matches(e.type)),
      onchange: () => { for (const label of catBoxes) label.firstChild.checked = catAll.checked; sync(); } });
    for (const label of catBoxes) label.firstChild.addEventListener('change', () => { catAll.checked = cat.events.every((_, i) => catBoxes[i].firstChild.checked); sync(); });
    return h('fieldset', {}, h('legend', {}, cat.name), h('label', { class: 'check' }, catAll, h('em', {}, `All ${cat.name}`)), catBoxes);
  });
  const grid = h('div', { class: 'categories' }, groups);
  function sync() { grid.hidden = all.checked; }
  all.addEventListener('change', sync);
  sync();
  const element = h('div', {}, h('label', { class: 'check' }, all, h('strong', {}, 'All events (including types added later)')), grid);
  // The subscription list: "*", a "prefix.*" for fully selected single-prefix categories, or exact types.
  function value() {
    if (all.checked) return ['*'];
    const out = [];
    for (const cat of state.catalog.categories) {
      const mine = boxes.filter((b) => b.dataset.category === cat.name);
      const checked = mine.filter((b) => b.checked).map((b) => b.value);
      if (!checked.length) continue;
      const prefixes = new Set(cat.events.map((e) => e.type.split('.')[0]));
      if (checked.length === mine.length && prefixes.size === 1) out.push(`${[...prefixes][0]}.*`);
      else out.push(...checked);
    }
    return out;
  }
  return { element, value };
}

// Why a URL did not answer, in words (the reachability check's error codes).
const UNREACHABLE = {
  timeout: 'it did not answer in time', connection_refused: 'the connection was refused',
  connection_reset: 'the connection was reset', network_error: 'a network error',
  dns: 'the host name does not resolve', tls: 'the TLS handshake failed (check the certificate)',
  blocked_address: 'it resolves to a private or local address, which this server does not deliver to',
};

function headerEditor(headers) {
  const list = h('div', {});
  function addRow(k = '', v = '') {
    const row = h('div', { class: 'header-row' },
      h('input', { type: 'text', placeholder: 'Header name', value: k, 'aria-label': 'Header name' }),
      h('input', { type: 'text', placeholder: 'Value', value: v, 'aria-label': 'Header value' }),
      h('button', { type: 'button', class: 'small', 'aria-label': 'Remove header', onclick: () => row.remove() }, '✕'));
    list.appendChild(row);
  }
  for (const [k, v] of Object.entries(headers || {})) addRow(k, v);
  const element = h('div', {}, list, h('button', { type: 'button', class: 'small', onclick: () => addRow() }, '+ Add header'));
  function value() {
    const out = {};
    for (const row of list.children) {
      const [k, v] = row.querySelectorAll('input');
      if (k.value.trim()) out[k.value.trim()] = v.value;
    }
    return out;
  }
  return { element, value };
}

async function renderWebhookForm(id) {
  let w = { url: '', name: '', description: '', events: [], environment: 'production', rate_limit: state.server.max_endpoint_rate,
    ordered: false, payload_format: 'standard', headers: {}, active: true };
  if (id) {
    try { w = await api('GET', `/webhooks/${id}`); } catch (err) { app.replaceChildren(...layout('webhooks', h('div', { class: 'notice error' }, err.message))); return; }
  }
  const fields = {};
  const errors = {};
  function field(name, label, input, help) {
    fields[name] = input;
    errors[name] = h('div', { class: 'field-error', id: `err-${name}` });
    input.setAttribute('aria-describedby', `err-${name}`);
    if (!input.id) input.id = `f-${name}`;
    return h('div', { class: 'field', 'data-field': name }, h('label', { for: input.id }, label), input,
      help ? h('div', { class: 'help' }, help) : null, errors[name]);
  }
  const events = eventSelector(w.events);
  const headers = headerEditor(w.headers);
  const urlRule = state.server.allow_http ? 'https:// or http:// (this server allows plain HTTP)' : 'Must be https:// (this server requires TLS)';
  const formError = h('div', { role: 'alert' });
  const submit = h('button', { class: 'primary', type: 'submit' }, id ? 'Save changes' : 'Create webhook');

  function clearErrors() {
    formError.replaceChildren();
    for (const [name, node] of Object.entries(errors)) { node.textContent = ''; node.parentElement.classList.remove('invalid'); }
  }

  async function save(verify) {
    clearErrors();
    const body = {
      url: fields.url.value.trim(), name: fields.name.value, description: fields.description.value,
      events: events.value(), environment: fields.environment.value.trim(), rate_limit: Number(fields.rate_limit.value),
      ordered: fields.ordered.checked, payload_format: fields.payload_format.value, headers: headers.value(),
      active: fields.active.checked,
    };
    submit.disabled = true;
    try {
      const query = verify ? '' : '?verify=false';
      const saved = id ? await api('PATCH', `/webhooks/${id}${query}`, body) : await api('POST', `/webhooks${query}`, body);
      toast(id ? 'Webhook saved' : 'Webhook created');
      if (!id) store.setItem(`hookd.newSecret.${saved.id}`, saved.secret);
      location.hash = `#/webhooks/${saved.id}`;
    } catch (err) {
      submit.disabled = false;
      if (err.code === 'endpoint_unreachable') {
        const why = ((err.details[0] || {}).message || '').replace(/^did not answer: /, '');
        formError.replaceChildren(h('div', { class: 'notice warn' },
          h('strong', {}, 'The URL did not answer. '),
          `A signed test request (webhook.ping) got no response: ${UNREACHABLE[why] || why || 'no answer'}. `,
          'Check that the endpoint is running and reachable from the internet, or save it anyway and fix it later.',
          h('div', { class: 'row' }, h('button', { type: 'button', class: 'small', onclick: () => save(false) }, 'Save anyway'))));
        return;
      }
      let placed = false;
      for (const d of err.details) {
        const key = d.field.split(/[.[]/)[0];
        if (errors[key]) { errors[key].textContent = d.message; errors[key].parentElement.classList.add('invalid'); placed = true; }
      }
      if (!placed) formError.replaceChildren(h('div', { class: 'notice error' }, err.message));
      const first = document.querySelector('.field.invalid input, .field.invalid select');
      if (first) first.focus();
    }
  }

  const form = h('form', { class: 'panel', novalidate: true, onsubmit: (e) => { e.preventDefault(); save(true); } },
    formError,
    field('url', 'Endpoint URL', h('input', { type: 'url', value: w.url, required: true, placeholder: 'https://example.com/webhooks' }), urlRule),
    h('div', { class: 'grid2' },
      field('name', 'Name', h('input', { type: 'text', value: w.name, maxlength: 200 })),
      field('environment', 'Environment', h('input', { type: 'text', value: w.environment, list: 'environments' }),
        'production, staging, development, or your own name ([a-z0-9-])')),
    h('datalist', { id: 'environments' }, ['production', 'staging', 'development'].map((e) => h('option', { value: e }))),
    field('description', 'Description', h('textarea', { maxlength: 1024 }, w.description)),
    h('div', { class: 'field', 'data-field': 'events' }, h('label', {}, 'Events'), events.element,
      (errors.events = h('div', { class: 'field-error', id: 'err-events' }))),
    h('div', { class: 'grid2' },
      field('rate_limit', 'Rate limit (deliveries per second)', h('input', { type: 'number', min: 1, max: state.server.max_endpoint_rate, value: w.rate_limit }),
        `At most ${state.server.max_endpoint_rate}/s on this server; extra deliveries wait in the queue.`),
      field('payload_format', 'Payload format', h('select', {},
        [['standard', 'Standard — {id, type, created, data}'], ['event-data', 'Event + data — {event, timestamp, data}'], ['event-payload', 'Event + payload — {event, payload}']]
          .map(([v, l]) => h('option', { value: v, selected: w.payload_format === v }, l))))),
    h('div', { class: 'field', 'data-field': 'headers' }, h('label', {}, 'Custom headers'), headers.element,
      (errors.headers = h('div', { class: 'field-error', id: 'err-headers' }))),
    h('div', { class: 'field' }, h('label', { class: 'check' }, (fields.ordered = h('input', { type: 'checkbox', checked: w.ordered })),
      'Ordered: deliver one at a time, in the order events happened')),
    h('div', { class: 'field' }, h('label', { class: 'check' }, (fields.active = h('input', { type: 'checkbox', checked: w.active })),
      'Active: deliver events to this endpoint')),
    id ? h('div', { class: 'field' }, h('label', {}, 'Signing secret'), secretControl(id, null),
      h('div', { class: 'help' }, 'Verify the webhook-signature header with it (Standard Webhooks).'))
      : h('p', { class: 'help' }, 'A signing secret is generated when you create the webhook; it is shown right after.'),
    h('div', { class: 'row' }, submit, h('a', { class: 'button', href: id ? `#/webhooks/${id}` : '#/webhooks' }, 'Cancel')));
  errors.events.parentElement.dataset.field = 'events';
  app.replaceChildren(...layout('webhooks', h('div', { class: 'page-head' }, h('h1', {}, id ? 'Edit webhook' : 'Add webhook')), form));
  fields.url.focus();
}

// ---- the signing secret: hidden until asked for, with copy and regenerate (rotate) ----

function secretControl(id, shownSecret, note) {
  const box = h('div', {});
  function show(secret, text) {
    box.replaceChildren(h('div', { class: 'secret' }, h('code', { id: 'secret-value' }, secret),
      h('button', { type: 'button', class: 'small', onclick: () => copy(secret) }, 'Copy'),
      h('button', { type: 'button', class: 'small', onclick: hide }, 'Hide')), text ? h('p', { class: 'help' }, text) : null);
  }
  function hide() {
    box.replaceChildren(h('div', { class: 'row' },
      h('code', {}, 'whsec_••••••••••••••••'),
      h('button', { type: 'button', class: 'small', onclick: async () => {
        try { show((await api('GET', `/webhooks/${id}/secret`)).secret); } catch (err) { toast(err.message, 'error'); }
      } }, 'Reveal'),
      !canChange() ? null : h('button', { type: 'button', class: 'small', onclick: async () => {
        if (!await confirmDialog('Regenerate the signing secret?', 'A new secret signs every delivery from now on. The current one keeps signing alongside it for 24 hours, so you have time to update your endpoint.', 'Regenerate')) return;
        try {
          const r = await api('POST', `/webhooks/${id}/secret/rotate`);
          show(r.secret, `The previous secret also signs until ${fmtTime(r.previous_secret_expires_at)}.`);
          toast('Secret regenerated');
        } catch (err) { toast(err.message, 'error'); }
      } }, 'Regenerate')));
  }
  if (shownSecret) show(shownSecret, note);
  else hide();
  return box;
}

// ---- webhook detail: test, delivery log ----

async function renderWebhookDetail(id) {
  let w;
  try { w = await api('GET', `/webhooks/${id}`); } catch (err) { app.replaceChildren(...layout('webhooks', h('div', { class: 'notice error' }, err.message))); return; }
  const newSecret = store.getItem(`hookd.newSecret.${id}`);
  store.removeItem(`hookd.newSecret.${id}`);

  const secretBox = secretControl(id, newSecret, 'This is the signing secret of the new webhook; you can reveal it here again at any time.');

  const testResult = h('div', { role: 'status' });
  const testButton = h('button', { type: 'button', onclick: async () => {
    testButton.disabled = true;
    testResult.replaceChildren(h('p', { class: 'subtle' }, 'Sending a test event…'));
    try {
      const r = await api('POST', `/webhooks/${id}/test`, {});
      testResult.replaceChildren(h('div', { class: `notice ${r.success ? 'ok' : 'error'}` },
        h('strong', {}, r.success ? 'Test delivered. ' : 'Test failed. '),
        r.response_status !== null ? `Status ${r.response_status}` : `Error: ${r.error}`, ` · ${r.response_time_ms} ms`),
        ...(r.response_body ? [h('h3', {}, 'Response body'), h('pre', {}, r.response_body)] : []));
    } catch (err) { showError(testResult, err); }
    testButton.disabled = false;
  } }, 'Send test event');

  const deleteButton = h('button', { type: 'button', class: 'danger', onclick: async () => {
    if (!await confirmDialog('Delete this webhook?', `${w.url} will stop receiving events, and its delivery log is deleted. This cannot be undone.`, 'Delete webhook', true)) return;
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
      canChange() ? [h('a', { class: 'button', href: `#/webhooks/${id}/edit` }, 'Edit'), testButton, deleteButton] : null));

  const info = h('div', { class: 'panel' }, reason,
    h('dl', { class: 'kv' },
      w.description && w.description !== title ? [h('dt', {}, 'Description'), h('dd', {}, w.description)] : null,
      h('dt', {}, 'Events'), h('dd', {}, eventChips(w.events)),
      h('dt', {}, 'Environment'), h('dd', {}, w.environment),
      h('dt', {}, 'Rate limit'), h('dd', {}, `${w.rate_limit}/s`),
      h('dt', {}, 'Ordered'), h('dd', {}, w.ordered ? 'yes' : 'no'),
      h('dt', {}, 'Payload'), h('dd', {}, w.payload_format),
      h('dt', {}, 'Signing secret'), h('dd', {}, secretBox)),
    testResult);

  const log = deliveryLog(w, refresh);
  app.replaceChildren(...layout('webhooks', head, info, charts, log.element));
  log.load();
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

render();
