// hookd web UI: the webhooks list, the add/edit form and the signing secret control (app.js holds the helpers,
// the API client and the routes).
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
    ordered: false, payload_format: 'standard', signing: 'hmac-sha256', verification: state.portal ? 'handshake' : 'none',
    headers: {}, active: true };
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
      ordered: fields.ordered.checked, payload_format: fields.payload_format.value, signing: fields.signing.value,
      verification: fields.verification.value, headers: headers.value(),
      active: fields.active.checked,
    };
    // Mutual TLS is replaced as a whole: sent only when something was pasted, or when asked to remove it.
    const pem = { client_certificate: fields.tls_certificate.value.trim(), client_key: fields.tls_key.value.trim(),
      ca_certificates: fields.tls_ca.value.trim() };
    if (pem.client_certificate || pem.client_key || pem.ca_certificates) {
      body.tls = Object.fromEntries(Object.entries(pem).filter(([, v]) => v).map(([k, v]) => [k, `${v}\n`]));
    } else if (fields.tls_remove && fields.tls_remove.checked) {
      body.tls = null;
    }
    submit.disabled = true;
    try {
      const query = verify ? '' : '?verify=false';
      const saved = id ? await api('PATCH', `/webhooks/${id}${query}`, body) : await api('POST', `/webhooks${query}`, body);
      toast(id ? 'Webhook saved' : 'Webhook created');
      if (!id && saved.secret) store.setItem(`hookd.newSecret.${saved.id}`, saved.secret);
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
        const key = errors[d.field] ? d.field : d.field.split(/[.[]/)[0];
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
    field('signing', 'Signatures', h('select', {},
      [['hmac-sha256', 'HMAC-SHA256 — a shared secret (Standard Webhooks v1)'], ['ed25519', 'Ed25519 — a public key, no shared secret (v1a)']]
        .map(([v, l]) => h('option', { value: v, selected: w.signing === v }, l))),
      id ? 'Changing it makes a new key; the current one keeps signing alongside it for 24 hours.'
        : 'With Ed25519 the endpoint verifies with this account\'s published public keys.'),
    field('verification', 'Ownership check', h('select', {},
      [['none', 'None'], ['handshake', 'Handshake — hold deliveries until the endpoint echoes a challenge']]
        .map(([v, l]) => h('option', { value: v, selected: w.verification === v }, l))),
      'With the handshake, the endpoint must answer a webhook.verification request by echoing its challenge before anything is sent to it.'),
    h('details', { class: 'field' }, h('summary', {}, 'Mutual TLS (optional)'),
      w.tls ? h('p', { class: 'help' }, `Set: client certificate ${w.tls.fingerprint_sha256 ? w.tls.fingerprint_sha256.slice(0, 16) + '…' : 'none'}`,
        w.tls.ca_certificates ? ', own CA bundle' : '', '. Paste new ones to replace them, or ',
        h('label', { class: 'check' }, (fields.tls_remove = h('input', { type: 'checkbox' })), 'remove them')) : null,
      field('tls.client_certificate', 'Client certificate (PEM)', (fields.tls_certificate = h('textarea', { class: 'mono', rows: 3, placeholder: '-----BEGIN CERTIFICATE-----' }))),
      field('tls.client_key', 'Client key (PEM, unencrypted; stored sealed, never shown)', (fields.tls_key = h('textarea', { class: 'mono', rows: 3, placeholder: '-----BEGIN PRIVATE KEY-----' }))),
      field('tls.ca_certificates', 'CA certificates that verify the endpoint (PEM; default: the public CAs)', (fields.tls_ca = h('textarea', { class: 'mono', rows: 3 })))),
    h('div', { class: 'field', 'data-field': 'headers' }, h('label', {}, 'Custom headers'), headers.element,
      (errors.headers = h('div', { class: 'field-error', id: 'err-headers' }))),
    h('div', { class: 'field' }, h('label', { class: 'check' }, (fields.ordered = h('input', { type: 'checkbox', checked: w.ordered })),
      'Ordered: deliver one at a time, in the order events happened')),
    h('div', { class: 'field' }, h('label', { class: 'check' }, (fields.active = h('input', { type: 'checkbox', checked: w.active })),
      'Active: deliver events to this endpoint')),
    id ? h('div', { class: 'field' }, h('label', {}, w.signing === 'ed25519' ? 'Signing key' : 'Signing secret'), secretControl(w, null),
      h('div', { class: 'help' }, 'Verify the webhook-signature header with it (Standard Webhooks).'))
      : h('p', { class: 'help' }, 'A signing secret is generated when you create the webhook; it is shown right after.'),
    h('div', { class: 'row' }, submit, h('a', { class: 'button', href: id ? `#/webhooks/${id}` : '#/webhooks' }, 'Cancel')));
  errors.events.parentElement.dataset.field = 'events';
  app.replaceChildren(...layout('webhooks', h('div', { class: 'page-head' }, h('h1', {}, id ? 'Edit webhook' : 'Add webhook')), form));
  fields.url.focus();
}

// ---- the signing secret: hidden until asked for, with copy and regenerate (rotate); an Ed25519 webhook's public
// key and where its account publishes the keys ----

function publicKeyControl(w) {
  const box = h('div', {});
  const jwks = `${location.origin}/.well-known/hookd/${w.account_id}/jwks.json`;
  function show(k, text) {
    box.replaceChildren(h('dl', { class: 'kv' },
      h('dt', {}, 'Key id'), h('dd', {}, h('code', { id: 'key-id' }, k.key_id)),
      h('dt', {}, 'Public key'), h('dd', {}, h('div', { class: 'secret' }, h('code', { id: 'public-key' }, k.public_key),
        h('button', { type: 'button', class: 'small', onclick: () => copy(k.public_key) }, 'Copy'))),
      h('dt', {}, 'Published at'), h('dd', {}, h('a', { href: jwks, target: '_blank', rel: 'noopener' }, jwks))),
    text ? h('p', { class: 'help' }, text) : null,
    !canChange() ? null : h('button', { type: 'button', class: 'small', onclick: async () => {
      if (!await confirmDialog('Make a new signing key?', 'A new key signs every delivery from now on. The current one keeps signing alongside it, and stays published, for 24 hours.', 'Make a new key')) return;
      try {
        const r = await api('POST', `/webhooks/${w.id}/secret/rotate`);
        show(r, `The previous key also signs until ${fmtTime(r.previous_secret_expires_at)}.`);
        toast('Signing key replaced');
      } catch (err) { toast(err.message, 'error'); }
    } }, 'Make a new key'));
  }
  show(w);
  return box;
}

function secretControl(w, shownSecret, note) {
  if (w.signing === 'ed25519') return publicKeyControl(w);
  const id = w.id;
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
