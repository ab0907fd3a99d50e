// Usage records, newest first, filtered by model, platform, key, dates
// and (admins) account and user, a page at a time, and a CSV export of
// every matching record.  A user's records are their own: the API
// forces the user filter to them.

import { $, cells, count, money, option, when } from './dom.js';
import { api, apiAll, isAdmin } from './session.js';
import { t } from './i18n.js';

const PAGE = 50;
let pages = [''];          // the page tokens walked so far
let names = { keys: new Map(), accounts: new Map(), users: new Map() };

function fill(select, map) {
  const was = select.value;
  select.replaceChildren();
  option(select, t('all'), '');
  for (const [id, name] of map) {
    option(select, name, id);
  }
  select.value = [...select.options].some((o) => o.value === was) ? was
                                                                   : '';
}

// the filter as query parameters (dates as whole UTC days)
function query() {
  const q = new URLSearchParams();
  const set = (name, v) => {
    if (v) {
      q.set(name, v);
    }
  };
  set('model', $('usage-model').value.trim());
  set('platform', $('usage-platform').value);
  set('keyId', $('usage-key').value);
  if (isAdmin()) {
    set('accountId', $('usage-account').value);
    set('userId', $('usage-user').value);
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

async function lookups() {
  names.keys = new Map((await apiAll('/api/v1/api-keys', 'apiKeys'))
                       .map((k) => [k.id, k.name]));
  fill($('usage-key'), names.keys);
  if (isAdmin()) {
    names.accounts = new Map((await apiAll('/api/v1/accounts', 'accounts'))
                             .map((a) => [a.id, a.name]));
    names.users = new Map((await apiAll('/api/v1/users', 'users'))
                          .map((u) => [u.id, u.username]));
    fill($('usage-account'), names.accounts);
    fill($('usage-user'), names.users);
  }
}

async function page(i) {
  const q = query();
  q.set('pageSize', String(PAGE));
  q.set('orderBy', 'id desc');
  if (pages[i]) {
    q.set('pageToken', pages[i]);
  }
  const r = await api('GET', '/api/v1/usage/records?' + q);
  pages = pages.slice(0, i + 1);
  if (r.nextPageToken) {
    pages.push(r.nextPageToken);
  }
  const admin = isAdmin();
  const body = $('usage-list').tBodies[0];
  body.replaceChildren();
  for (const u of r.records || []) {
    const row = document.createElement('tr');
    row.dataset.id = u.id;
    cells(row, [when(u.ts), names.keys.get(u.keyId) || `#${u.keyId}`,
                names.users.get(u.userId) || `#${u.userId}`,
                names.accounts.get(u.accountId) || `#${u.accountId}`,
                u.model, count(u.inputTokens), count(u.outputTokens),
                count(Number(u.cacheCreationTokens) +
                      Number(u.cacheReadTokens)),
                money(u.costMicros), u.status,
                u.latencyMs === null ? '—' : `${u.latencyMs} ms`]);
    row.children[2].hidden = !admin;
    row.children[3].hidden = !admin;
    body.appendChild(row);
  }
  const total = Number(r.totalSize || 0);
  const first = total ? i * PAGE + 1 : 0;
  const last = i * PAGE + (r.records || []).length;
  $('usage-count').textContent =
    `${count(total)} ${t(total === 1 ? 'record' : 'records')}`;
  $('usage-page').textContent = total > PAGE
    ? `${count(first)}–${count(last)}` : '';
  $('usage-prev').disabled = i === 0;
  $('usage-next').disabled = !r.nextPageToken;
  $('usage-next').dataset.page = String(i + 1);
  $('usage-prev').dataset.page = String(Math.max(0, i - 1));
}

export async function usage() {
  for (const el of document.querySelectorAll('#usage [data-admin]')) {
    el.hidden = !isAdmin();
  }
  await lookups();
  pages = [''];
  await page(0);
}

const csvFields = ['ts', 'requestId', 'keyId', 'userId', 'accountId',
                   'platform', 'model', 'inputTokens', 'outputTokens',
                   'cacheCreationTokens', 'cacheReadTokens', 'costMicros',
                   'status', 'latencyMs', 'streamed', 'traceId'];

function csvCell(v) {
  const s = v === null || v === undefined ? '' : String(v);
  // a leading = + - @ would be a formula in a spreadsheet
  const safe = /^[=+\-@\t\r]/.test(s) && !/^-?\d/.test(s) ? "'" + s : s;
  return /[",\n\r]/.test(safe) ? '"' + safe.replace(/"/g, '""') + '"'
                               : safe;
}

// every matching record, oldest first (at most 100 pages of 500)
async function exportCsv() {
  const q = query();
  const out = [csvFields.join(',')];
  const records = await apiAll('/api/v1/usage/records?' + q, 'records',
                               100);
  for (const u of records) {
    out.push(csvFields.map((f) => csvCell(u[f])).join(','));
  }
  const url = URL.createObjectURL(new Blob([out.join('\r\n') + '\r\n'],
                                           { type: 'text/csv' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = 'quotalane-usage.csv';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  $('usage-exported').textContent = `${count(records.length)} ` +
    `${t('records')} → quotalane-usage.csv`;
}

export function usageReset() {
  pages = [''];
  names = { keys: new Map(), accounts: new Map(), users: new Map() };
  $('usage-form').reset();
  for (const id of ['usage-key', 'usage-account', 'usage-user']) {
    $(id).replaceChildren();
  }
  for (const id of ['usage-count', 'usage-page', 'usage-exported']) {
    $(id).textContent = '';
  }
}

export function usageInit(fail) {
  $('usage-form').addEventListener('submit', (e) => {
    e.preventDefault();
    pages = [''];
    page(0).catch(fail);
  });
  $('usage-prev').addEventListener('click', (e) =>
    page(Number(e.target.dataset.page)).catch(fail));
  $('usage-next').addEventListener('click', (e) =>
    page(Number(e.target.dataset.page)).catch(fail));
  $('csv').addEventListener('click', () => exportCsv().catch(fail));
}
