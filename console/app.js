// The admin console: a page per #hash, each from the documented REST API
// only, with the bearer token of POST /api/v1/auth/login (kept for the
// browser tab; dropped when it expires or the API says 401).  Admins see
// every page; a user sees the dashboard and keys of their own.

import { setLang, savedLang, t } from './i18n.js';

const $ = (id) => document.getElementById(id);
const pages = ['login', 'dashboard', 'accounts', 'keys', 'usage',
               'billing', 'users', 'audit'];
const adminPages = ['accounts', 'users', 'audit'];

// each account type's credential and own fields (the admin API's)
const accountTypes = {
  'claude-console': ['apiKey'],
  'claude-official': ['accessToken', 'refreshToken'],
  ccr: ['apiKey'],
  openai: ['apiKey'],
  codex: ['accessToken', 'refreshToken', 'chatgptAccountId'],
  'azure-openai': ['apiKey', 'azureDeployment', 'azureApiVersion'],
  gemini: ['apiKey'],
  'gemini-oauth': ['accessToken', 'refreshToken', 'projectId'],
  droid: ['apiKey', 'refreshToken'],
  bedrock: ['awsRegion', 'awsAccessKeyId', 'awsSecretAccessKey',
            'awsSessionToken', 'apiKey'],
};
const secretFields = ['apiKey', 'accessToken', 'refreshToken',
                      'awsSecretAccessKey', 'awsSessionToken'];
let session = null;
let expiry = null;

function claims(token) {
  const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(atob(part));
}

function notice(what) {
  $('notice').textContent = what ? t(what) : '';
  $('notice').hidden = !what;
}

function signOut(why) {
  session = null;
  sessionStorage.removeItem('ql-token');
  clearTimeout(expiry);
  // nothing of the last user's stays in the page
  for (const el of document.querySelectorAll('tbody, .cards')) {
    el.replaceChildren();
  }
  $('new-key').hidden = true;
  $('key-edit').hidden = true;
  $('account-edit').hidden = true;
  $('new-key-value').textContent = '';
  $('account-result').textContent = '';
  notice(why);
  location.hash = '#login';
  route();
}

function signIn(token) {
  const c = claims(token);
  session = { token, id: c.sub, name: c.name, role: c.role };
  sessionStorage.setItem('ql-token', token);
  clearTimeout(expiry);
  expiry = setTimeout(() => signOut('expiredSession'),
                      Math.max(0, c.exp * 1000 - Date.now()));
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: Object.assign({ authorization: 'Bearer ' + session.token },
                           body ? { 'content-type': 'application/json' }
                                : {}),
    body: body ? JSON.stringify(body) : undefined,
    cache: 'no-store',
  });
  if (res.status === 401) {
    signOut('expiredSession');
    throw new Error('signed out');
  }
  const json = res.status === 204 ? null : await res.json();
  if (!res.ok) {
    throw new Error(json && json.error ? json.error.message : res.status);
  }
  return json;
}

const money = (m) => '$' + (Number(m || 0) / 1e6).toFixed(4);
const when = (ts) => ts ? new Date(ts).toLocaleString() : '—';

function cells(row, values) {
  for (const v of values) {
    const td = document.createElement('td');
    if (v instanceof Node) {
      td.appendChild(v);
    } else {
      td.textContent = v;
    }
    row.appendChild(td);
  }
}

function button(label, action) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = t(label);
  b.addEventListener('click', action);
  return b;
}

function actions(...buttons) {
  const span = document.createElement('span');
  span.className = 'row';
  buttons.forEach((b) => span.appendChild(b));
  return span;
}

function cards(dl, entries) {
  dl.replaceChildren();
  for (const [label, value] of entries) {
    const div = document.createElement('div');
    const dt = document.createElement('dt');
    const dd = document.createElement('dd');
    dt.textContent = label;
    dd.textContent = value;
    dd.dataset.name = label;
    div.append(dt, dd);
    dl.appendChild(div);
  }
}

// bars of cost per day, drawn as SVG (no inline styles: attributes only)
function chart(groups) {
  const svg = $('chart');
  const ns = 'http://www.w3.org/2000/svg';
  const title = svg.querySelector('title');
  svg.replaceChildren(title);
  const w = 720, h = 160, days = groups.slice().reverse();
  const max = Math.max(1, ...days.map((g) => Number(g.costMicros)));
  svg.setAttribute('viewBox', `0 0 ${w} ${h + 20}`);
  days.forEach((g, i) => {
    const bw = w / Math.max(days.length, 1);
    const bh = Math.max(1, Number(g.costMicros) / max * h);
    const rect = document.createElementNS(ns, 'rect');
    rect.setAttribute('x', i * bw + 2);
    rect.setAttribute('y', h - bh);
    rect.setAttribute('width', Math.max(1, bw - 4));
    rect.setAttribute('height', bh);
    rect.setAttribute('class', 'bar');
    const tip = document.createElementNS(ns, 'title');
    tip.textContent = `${g.group}: ${money(g.costMicros)}`;
    rect.appendChild(tip);
    svg.appendChild(rect);
    const label = document.createElementNS(ns, 'text');
    label.setAttribute('x', i * bw + bw / 2);
    label.setAttribute('y', h + 15);
    label.setAttribute('text-anchor', 'middle');
    label.setAttribute('class', 'axis');
    label.textContent = g.group.slice(5);
    svg.appendChild(label);
  });
}

function top(table, groups) {
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const g of groups) {
    const row = document.createElement('tr');
    cells(row, [g.group, g.requests, money(g.costMicros)]);
    body.appendChild(row);
  }
}

async function dashboard() {
  const sum = await api('GET', '/api/v1/usage/summary');
  const tot = sum.total || {};
  cards($('totals'), [
    [t('requests'), tot.requests || '0'],
    [t('tokens'), String(Number(tot.inputTokens || 0) +
                         Number(tot.outputTokens || 0))],
    [t('cost'), money(tot.costMicros)],
  ]);
  chart((await api('GET', '/api/v1/usage/summary?groupBy=day&pageSize=30'))
        .groups || []);
  const byCost = (a, b) => Number(b.costMicros) - Number(a.costMicros);
  top($('top-models'), ((await api('GET',
      '/api/v1/usage/summary?groupBy=model&pageSize=500')).groups || [])
      .sort(byCost).slice(0, 5));
  // keys by name, where the caller may see them
  const names = new Map(((await api('GET', '/api/v1/api-keys?pageSize=500'))
                         .apiKeys || []).map((k) => [k.id, k.name]));
  top($('top-keys'), ((await api('GET',
      '/api/v1/usage/summary?groupBy=key&pageSize=500')).groups || [])
      .sort(byCost).slice(0, 5)
      .map((g) => Object.assign({}, g, { group: names.get(g.group)
                                                || `#${g.group}` })));
  if (session.role === 'admin') {
    const list = (await api('GET', '/api/v1/accounts?pageSize=500')).accounts;
    const accountNames = new Map(list.map((a) => [a.id, a.name]));
    top($('top-accounts'), ((await api('GET',
        '/api/v1/usage/summary?groupBy=account&pageSize=500')).groups || [])
        .sort(byCost).slice(0, 5)
        .map((g) => Object.assign({}, g, {
          group: accountNames.get(g.group) || `#${g.group}` })));
    const now = Date.now();
    const count = (f) => String(list.filter(f).length);
    const cooling = (a) => a.cooldownUntil && Date.parse(a.cooldownUntil) > now;
    const health = await (await fetch('/healthz', { cache: 'no-store' }))
      .json().catch(() => ({}));
    cards($('states'), [
      [t('active'), count((a) => a.status === 'active' && !cooling(a) &&
                                 a.circuit !== 'open')],
      [t('coolingDown'), count(cooling)],
      [t('circuitOpen'), count((a) => a.circuit === 'open')],
      [t('error'), count((a) => a.status === 'error')],
      [t('disabled'), count((a) => a.status === 'disabled')],
      [t('backlog'), String(health.usageBacklog ?? '—')],
    ]);
  }
}

// "5h 34% until 18:00": each window the vendor reported
function windows(a) {
  return (a.usageWindows || []).map((w) => `${w.window} ${w.status}` +
    (w.utilization !== undefined && w.utilization !== null
      ? ` ${Math.round(w.utilization * 100)}%` : '') +
    (w.resetsAt ? ` → ${when(w.resetsAt)}` : '')).join('; ') || '—';
}

const oauthTypes = ['claude-official', 'codex', 'gemini-oauth', 'droid'];

async function accounts() {
  const list = (await api('GET', '/api/v1/accounts?pageSize=500')).accounts;
  const groups = (await api('GET', '/api/v1/account-groups?pageSize=500'))
                   .accountGroups || [];
  rows('group-list', groups, (g) => [g.name, g.platform,
    String(list.filter((a) => a.groupId === g.id).length)]);
  const pick = $('account-group');
  pick.replaceChildren(new Option(t('noGroup'), ''));
  for (const g of groups) {
    pick.appendChild(new Option(`${g.name} (${g.platform})`, g.id));
  }
  const body = $('account-list').tBodies[0];
  body.replaceChildren();
  for (const a of list) {
    const row = document.createElement('tr');
    row.dataset.id = a.id;
    const flip = a.status === 'disabled' ? 'enable' : 'disable';
    const more = oauthTypes.includes(a.type) && a.hasRefreshToken
      ? [button('refresh', async () => {
          try {
            await api('POST', `/api/v1/accounts/${a.id}/refresh`, {});
            accounts();
          } catch (e) {
            $('account-result').textContent = `${a.name}: ${e.message}`;
          }
        })] : [];
    cells(row, [a.name, a.type, a.status, a.health, a.circuit,
                when(a.cooldownUntil), a.leasesInUse, windows(a), actions(
      button('test', async () => {
        const r = await api('POST', `/api/v1/accounts/${a.id}/test`, {});
        $('account-result').textContent =
          `${a.name}: ${r.ok ? t('testOk') : t('testFail')} (${r.status}, ` +
          `${r.latencyMs || 0} ms)`;
      }),
      button('reset', async () => {
        await api('POST', `/api/v1/accounts/${a.id}/reset`, {});
        accounts();
      }),
      button('edit', () => editAccount(a)),
      ...more,
      button(flip, async () => {
        await api('PATCH', `/api/v1/accounts/${a.id}`,
                  { status: flip === 'disable' ? 'disabled' : 'active' });
        accounts();
      }))]);
    body.appendChild(row);
  }
}

async function keys() {
  const list = (await api('GET', '/api/v1/api-keys?pageSize=500')).apiKeys;
  const body = $('key-list').tBodies[0];
  body.replaceChildren();
  for (const k of list) {
    const row = document.createElement('tr');
    row.dataset.id = k.id;
    const flip = k.status === 'active' ? 'disable' : 'enable';
    cells(row, [k.name, k.keyPrefix, t(k.status), when(k.expiresAt), actions(
      button(flip, async () => {
        await api('PATCH', `/api/v1/api-keys/${k.id}`,
                  { status: flip === 'disable' ? 'disabled' : 'active' });
        keys();
      }),
      button('edit', () => editKey(k)),
      button('rotate', async () => {
        const made = await api('POST', `/api/v1/api-keys/${k.id}/rotate`,
                               {});
        $('new-key-value').textContent = made.key;
        $('new-key').hidden = false;
        $('copied').textContent = '';
        keys();
      }),
      button('delete', async () => {
        if (confirm(t('confirmDelete'))) {
          await api('DELETE', `/api/v1/api-keys/${k.id}`);
          keys();
        }
      }))]);
    body.appendChild(row);
  }
}

// a key's limits, platforms, clients, models, expiry and binding
let editing = null;

async function editKey(k) {
  editing = k;
  const f = $('key-edit');
  $('key-edit-name').textContent = k.name;
  f.elements.name.value = k.name;
  for (const box of f.querySelectorAll('input[name=perm]')) {
    box.checked = k.permissions.includes(box.value);
  }
  for (const l of ['dailyCostLimitMicros', 'weeklyCostLimitMicros',
                   'totalCostLimitMicros']) {
    f.elements[l].value = Number(k[l] || 0) / 1e6;
  }
  f.elements.concurrencyLimit.value = k.concurrencyLimit || 0;
  f.elements.blockedModels.value = (k.blockedModels || []).join('\n');
  f.elements.allowedClients.value = (k.allowedClients || []).join('\n');
  f.elements.expiresAt.value = k.expiresAt ? k.expiresAt.slice(0, 10) : '';
  const bind = f.elements.accountId;
  bind.replaceChildren(new Option(t('anyAccount'), ''));
  if (session.role === 'admin') {
    for (const a of (await api('GET', '/api/v1/accounts?pageSize=500'))
                      .accounts) {
      bind.appendChild(new Option(a.name, a.id));
    }
    bind.value = k.accountId || '';
  }
  f.hidden = false;
  f.elements.name.focus();
}

const lines = (v) => v.split('\n').map((s) => s.trim()).filter(Boolean);

async function saveKey(event) {
  event.preventDefault();
  const f = $('key-edit');
  const body = {
    version: editing.version,
    name: f.elements.name.value,
    permissions: [...f.querySelectorAll('input[name=perm]:checked')]
      .map((b) => b.value),
    concurrencyLimit: Number(f.elements.concurrencyLimit.value || 0),
    blockedModels: lines(f.elements.blockedModels.value),
    allowedClients: lines(f.elements.allowedClients.value),
    expiresAt: f.elements.expiresAt.value
      ? f.elements.expiresAt.value + 'T00:00:00Z' : null,
  };
  for (const l of ['dailyCostLimitMicros', 'weeklyCostLimitMicros',
                   'totalCostLimitMicros']) {
    body[l] = String(Math.round(Number(f.elements[l].value || 0) * 1e6));
  }
  if (session.role === 'admin') {
    body.accountId = f.elements.accountId.value || null;
  }
  try {
    await api('PATCH', `/api/v1/api-keys/${editing.id}`, body);
    f.hidden = true;
    $('copied').textContent = '';
    notice(null);
    keys();
  } catch (e) {
    $('notice').textContent = String(e.message);
    $('notice').hidden = false;
  }
}

async function createKey(event) {
  event.preventDefault();
  const made = await api('POST', '/api/v1/api-keys',
                         { name: $('key-name').value, userId: session.id });
  $('new-key-value').textContent = made.key;
  $('new-key').hidden = false;
  $('copied').textContent = '';
  $('key-name').value = '';
  keys();
}

async function copyKey() {
  try {
    await navigator.clipboard.writeText($('new-key-value').textContent);
    $('copied').textContent = t('copied');
  } catch (e) {
    getSelection().selectAllChildren($('new-key-value'));
    $('copied').textContent = t('copyBySelect');
  }
}

// the usage filter as query parameters (dates as whole UTC days)
function usageQuery() {
  const q = new URLSearchParams();
  const model = $('usage-model').value.trim();
  if (model) {
    q.set('model', model);
  }
  if ($('usage-from').value) {
    q.set('from', $('usage-from').value + 'T00:00:00Z');
  }
  if ($('usage-to').value) {
    const to = new Date($('usage-to').value + 'T00:00:00Z');
    to.setUTCDate(to.getUTCDate() + 1);
    q.set('to', to.toISOString().replace(/\.\d{3}Z$/, 'Z'));
  }
  return q;
}

// every matching record, page by page (at most 100 pages)
async function usageAll() {
  const q = usageQuery();
  q.set('pageSize', '500');
  let records = [];
  for (let page = 0; page < 100; page++) {
    const r = await api('GET', '/api/v1/usage/records?' + q);
    records = records.concat(r.records || []);
    if (!r.nextPageToken) {
      break;
    }
    q.set('pageToken', r.nextPageToken);
  }
  return records;
}

async function usage() {
  const q = usageQuery();
  q.set('pageSize', '100');
  const r = await api('GET', '/api/v1/usage/records?' + q);
  const body = $('usage-list').tBodies[0];
  body.replaceChildren();
  for (const u of (r.records || []).slice().reverse()) {
    const row = document.createElement('tr');
    cells(row, [when(u.ts), u.keyId, u.model, u.inputTokens,
                u.outputTokens, money(u.costMicros), u.status]);
    body.appendChild(row);
  }
  $('usage-count').textContent = `${r.totalSize || 0} ${t('records')}`;
}

const csvFields = ['ts', 'requestId', 'keyId', 'userId', 'accountId',
                   'platform', 'model', 'inputTokens', 'outputTokens',
                   'cacheCreationTokens', 'cacheReadTokens', 'costMicros',
                   'status', 'latencyMs', 'streamed'];

function csvCell(v) {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

async function exportCsv() {
  const lines = [csvFields.join(',')];
  for (const u of await usageAll()) {
    lines.push(csvFields.map((f) => csvCell(u[f])).join(','));
  }
  const url = URL.createObjectURL(new Blob([lines.join('\r\n') + '\r\n'],
                                           { type: 'text/csv' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = 'quotalane-usage.csv';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

async function audit() {
  const r = await api('GET', '/api/v1/audit-log?pageSize=100');
  const body = $('audit-list').tBodies[0];
  body.replaceChildren();
  for (const e of r.entries || []) {
    const row = document.createElement('tr');
    cells(row, [when(e.ts), e.actorName || '—', e.action,
                `${e.resource} ${e.resourceId}`, e.remoteAddr || '']);
    body.appendChild(row);
  }
}

// the fields of the chosen type, each labelled by its API name
function accountFields() {
  const box = $('account-fields');
  box.replaceChildren();
  for (const f of accountTypes[$('account-type').value]) {
    const label = document.createElement('label');
    const span = document.createElement('span');
    const input = document.createElement('input');
    span.textContent = f;
    input.name = f;
    input.type = secretFields.includes(f) ? 'password' : 'text';
    input.autocomplete = 'off';
    label.append(span, input);
    box.appendChild(label);
  }
}

// the filled fields only; numbers as numbers
function formBody(form) {
  const body = {};
  for (const el of form.elements) {
    if (el.name && el.value !== '') {
      body[el.name] = el.type === 'number' ? Number(el.value) : el.value;
    }
  }
  return body;
}

// the fields every type has, and a new credential in the type's field
let editingAccount = null;

function editAccount(a) {
  editingAccount = a;
  const f = $('account-edit');
  $('account-edit-name').textContent = `${a.name} (${a.type})`;
  f.elements.name.value = a.name;
  f.elements.baseUrl.value = a.baseUrl || '';
  f.elements.priority.value = a.priority;
  f.elements.concurrencyLimit.value = a.concurrencyLimit || 0;
  f.elements.schedulable.checked = a.schedulable;
  f.elements.credential.value = '';
  f.hidden = false;
  f.elements.name.focus();
}

async function saveAccount(event) {
  event.preventDefault();
  const f = $('account-edit');
  const a = editingAccount;
  const body = {
    version: a.version, name: f.elements.name.value,
    priority: Number(f.elements.priority.value),
    concurrencyLimit: Number(f.elements.concurrencyLimit.value || 0),
    schedulable: f.elements.schedulable.checked,
  };
  if (f.elements.baseUrl.value !== (a.baseUrl || '')) {
    body.baseUrl = f.elements.baseUrl.value || null;
  }
  if (f.elements.credential.value) {
    body[accountTypes[a.type].find((c) => secretFields.includes(c))] =
      f.elements.credential.value;
  }
  try {
    await api('PATCH', `/api/v1/accounts/${a.id}`, body);
    f.hidden = true;
    accounts();
  } catch (e) {
    $('account-result').textContent = `${a.name}: ${e.message}`;
  }
}

async function createGroup(event) {
  event.preventDefault();
  try {
    await api('POST', '/api/v1/account-groups', formBody($('group-form')));
    $('group-form').reset();
    accounts();
  } catch (e) {
    $('account-result').textContent = String(e.message);
  }
}

async function createAccount(event) {
  event.preventDefault();
  try {
    const a = await api('POST', '/api/v1/accounts',
                        formBody($('account-form')));
    $('account-made').textContent = `${t('made')}: ${a.name} (${a.type})`;
    $('account-form').reset();
    accountFields();
    accounts();
  } catch (e) {
    $('account-made').textContent = String(e.message);
  }
}

let oauthSession = null;

async function startOAuth(event) {
  event.preventDefault();
  const r = await api('POST',
                      `/api/v1/oauth/${$('oauth-provider').value}/start`, {});
  oauthSession = r.sessionId;
  $('oauth-url').href = r.authorizeUrl;
  $('oauth-url').textContent = r.authorizeUrl;
  $('oauth-step').hidden = false;
}

async function finishOAuth(event) {
  event.preventDefault();
  try {
    const a = await api('POST',
        `/api/v1/oauth/${$('oauth-provider').value}/exchange`,
        Object.assign({ sessionId: oauthSession, name: $('oauth-name').value,
                        code: $('oauth-code').value.trim() },
                      $('oauth-base').value ? { baseUrl: $('oauth-base').value }
                                            : {}));
    $('account-made').textContent = `${t('made')}: ${a.name} (${a.type})`;
    $('oauth-step').hidden = true;
    accounts();
  } catch (e) {
    $('account-made').textContent = String(e.message);
  }
}

async function users() {
  const list = (await api('GET', '/api/v1/users?pageSize=500')).users;
  const body = $('user-list').tBodies[0];
  body.replaceChildren();
  for (const u of list) {
    const row = document.createElement('tr');
    const flip = u.status === 'active' ? 'disable' : 'enable';
    cells(row, [u.username, u.role, t(u.status), u.authSource, actions(
      button(flip, async () => {
        await api('PATCH', `/api/v1/users/${u.id}`,
                  { status: flip === 'disable' ? 'disabled' : 'active' });
        users();
      }))]);
    body.appendChild(row);
  }
}

async function createUser(event) {
  event.preventDefault();
  try {
    await api('POST', '/api/v1/users', formBody($('user-form')));
    $('user-form').reset();
    users();
  } catch (e) {
    $('notice').textContent = String(e.message);
    $('notice').hidden = false;
  }
}

function rows(table, list, values) {
  const body = $(table).tBodies[0];
  body.replaceChildren();
  for (const item of list) {
    const row = document.createElement('tr');
    cells(row, values(item));
    body.appendChild(row);
  }
}

// plans, the subscriptions and this month's bills (a user: their own)
async function billing() {
  const plans = (await api('GET', '/api/v1/plans?pageSize=500')).plans || [];
  const names = new Map(plans.map((p) => [p.id, p.name]));
  rows('plan-list', plans, (p) => [p.name, p.period, money(p.quotaCostMicros),
                                   money(p.priceMicros), t(p.status) ||
                                   p.status]);
  const subs = (await api('GET', '/api/v1/subscriptions?pageSize=500'))
                 .subscriptions || [];
  rows('subscription-list', subs, (s) => [
    s.userId === session.id ? session.name : `#${s.userId}`,
    names.get(s.planId) || `#${s.planId}`, s.status, when(s.startAt),
    when(s.expireAt)]);
  if (session.role === 'admin') {
    const pickUser = $('subscription-user');
    pickUser.replaceChildren();
    for (const u of (await api('GET', '/api/v1/users?pageSize=500')).users) {
      pickUser.appendChild(new Option(u.username, u.id));
    }
    const pickPlan = $('subscription-plan');
    pickPlan.replaceChildren();
    for (const p of plans) {
      pickPlan.appendChild(new Option(p.name, p.id));
    }
  }
  const bills = await api('GET', '/api/v1/bills?pageSize=500');
  $('bill-month').textContent = bills.month;
  rows('bill-list', bills.bills || [], (b) => [
    b.userId === session.id ? session.name : `#${b.userId}`, b.requests,
    money(b.costMicros), b.closed ? t('yes') : t('no')]);
}

// dollars typed in the form as micro-dollars (decimal strings)
function dollarsBody(form, fields) {
  const body = formBody(form);
  for (const f of fields) {
    if (body[f] !== undefined) {
      body[f] = String(Math.round(Number(body[f]) * 1e6));
    }
  }
  return body;
}

async function submitThen(event, path, body, form) {
  event.preventDefault();
  try {
    await api('POST', path, body);
    form.reset();
    billing();
  } catch (e) {
    $('notice').textContent = String(e.message);
    $('notice').hidden = false;
  }
}

const loaders = { dashboard, accounts, keys, usage, billing, users, audit };

async function route() {
  let page = location.hash.slice(1) || 'dashboard';
  if (!session) {
    page = 'login';
  } else if (!pages.includes(page) || page === 'login') {
    page = 'dashboard';
  }
  const admin = session && session.role === 'admin';
  for (const el of document.querySelectorAll('[data-admin]')) {
    el.hidden = !admin;
  }
  $('nav').hidden = !session;
  $('logout').hidden = !session;
  $('who').textContent = session ? `${session.name} (${session.role})` : '';
  for (const p of pages) {
    $(p).hidden = p !== page;
  }
  if (adminPages.includes(page) && !admin) {
    $(page).hidden = true;
    notice('adminsOnly');
    return;
  }
  if (loaders[page]) {
    try {
      await loaders[page]();
    } catch (e) {
      if (session) {
        $('notice').textContent = String(e.message);
        $('notice').hidden = false;
      }
    }
  }
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const res = await fetch('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: $('username').value,
                           password: $('password').value }),
  });
  $('password').value = '';
  if (!res.ok) {
    notice(res.status === 429 ? 'tooMany' : 'badLogin');
    return;
  }
  notice(null);
  signIn((await res.json()).token);
  location.hash = '#dashboard';
  route();
});

$('logout').addEventListener('click', () => signOut(null));
$('key-form').addEventListener('submit', createKey);
$('key-edit').addEventListener('submit', saveKey);
$('key-edit-cancel').addEventListener('click', () => {
  $('key-edit').hidden = true;
});
$('copy').addEventListener('click', copyKey);
$('usage-form').addEventListener('submit', (e) => {
  e.preventDefault();
  usage();
});
$('csv').addEventListener('click', exportCsv);
$('account-form').addEventListener('submit', createAccount);
$('group-form').addEventListener('submit', createGroup);
$('account-edit').addEventListener('submit', saveAccount);
$('account-edit-cancel').addEventListener('click', () => {
  $('account-edit').hidden = true;
});
$('plan-form').addEventListener('submit', (e) => submitThen(e,
  '/api/v1/plans', dollarsBody($('plan-form'),
                               ['quotaCostMicros', 'priceMicros']),
  $('plan-form')));
$('subscription-form').addEventListener('submit', (e) => submitThen(e,
  '/api/v1/subscriptions', formBody($('subscription-form')),
  $('subscription-form')));
$('account-type').addEventListener('change', accountFields);
$('oauth-form').addEventListener('submit', startOAuth);
$('oauth-exchange').addEventListener('submit', finishOAuth);
$('user-form').addEventListener('submit', createUser);
for (const type of Object.keys(accountTypes)) {
  const o = document.createElement('option');
  o.value = type;
  o.textContent = type;
  $('account-type').appendChild(o);
}
accountFields();
window.addEventListener('hashchange', () => { notice(null); route(); });
$('lang').addEventListener('change', (e) => {
  setLang(e.target.value);
  route();
});

const lang = savedLang();
$('lang').value = lang;
setLang(lang);

const saved = sessionStorage.getItem('ql-token');
if (saved) {
  try {
    if (claims(saved).exp * 1000 > Date.now()) {
      signIn(saved);
    }
  } catch (e) {
    sessionStorage.removeItem('ql-token');
  }
}
route();
