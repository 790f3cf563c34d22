// hookd web UI: a small single-page app over the REST API (/api/v1). Routes live in the URL hash (#/webhooks,
// #/webhooks/new, #/webhooks/<id>, #/webhooks/<id>/edit, #/dashboard, #/activity, #/operational). The API key, or the token of a portal
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
      h('nav', { 'aria-label': 'Main' }, link('#/webhooks', 'Webhooks', 'webhooks'), link('#/dashboard', 'Dashboard', 'dashboard'),
        link('#/activity', 'Activity', 'activity'), viaPortal() ? null : link('#/operational', 'Operational', 'operational')),
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
  [/^#\/activity$/, () => renderActivity()],
  [/^#\/operational$/, () => renderOperational()],
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
// Once every script of the page has run (they are deferred, in order): the views live in webhooks.js,
// webhook_page.js, dashboard.js, activity.js and operational.js.
document.addEventListener('DOMContentLoaded', render);
