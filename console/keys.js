// API keys: create one (shown once, with a Copy button), edit its limits,
// platforms, clients, blocked models, expiry and (admins) its binding to
// an account or a group, rotate (the new key shown once), disable or
// enable, delete.  A user sees and edits only their own keys; the API
// holds their edits to the ceiling an admin set (key policy).

import { $, actions, button, count, day, dayTs, lines, micros, money,
         option, rows, when } from './dom.js';
import { api, apiAll, current, isAdmin } from './session.js';
import { t } from './i18n.js';

const costLimits = ['dailyCostLimitMicros', 'weeklyCostLimitMicros',
                    'totalCostLimitMicros', 'rateLimitCostMicros'];
const numbers = ['concurrencyLimit', 'rateWindowSeconds',
                 'rateLimitRequests', 'weeklyResetHours'];

let editing = null;
let owners = new Map();

const fail = (e) => {
  $('key-result').textContent = String(e.message);
};

function shown(key) {
  $('new-key-value').textContent = key;
  $('new-key').hidden = false;
  $('copied').textContent = '';
  $('copy').focus();
}

// "$5 a day, 10 at once": what limits a key, briefly
function limits(k) {
  const out = [];
  const cost = { dailyCostLimitMicros: 'perDay',
                 weeklyCostLimitMicros: 'perWeek',
                 totalCostLimitMicros: 'inAll' };
  for (const [f, label] of Object.entries(cost)) {
    if (Number(k[f]) > 0) {
      out.push(`${money(k[f])} ${t(label)}`);
    }
  }
  if (k.concurrencyLimit) {
    out.push(`${k.concurrencyLimit} ${t('atOnce')}`);
  }
  if (k.rateLimitRequests) {
    out.push(`${count(k.rateLimitRequests)} ${t('requestsPer')} ` +
             `${k.rateWindowSeconds || 60} s`);
  }
  return out.join(', ') || t('none');
}

export async function keys() {
  const list = await apiAll('/api/v1/api-keys', 'apiKeys');
  if (isAdmin()) {
    owners = new Map((await apiAll('/api/v1/users', 'users'))
                     .map((u) => [u.id, u.username]));
    const pick = $('key-owner');
    const was = pick.value || current().id;
    pick.replaceChildren();
    for (const [id, name] of owners) {
      option(pick, name, id);
    }
    pick.value = was;
  } else {
    owners = new Map([[current().id, current().name]]);
  }
  rows('key-list', list, (k) => {
    const flip = k.status === 'active' ? 'disable' : 'enable';
    return [k.name, k.keyPrefix, owners.get(k.userId) || `#${k.userId}`,
            t(k.status) || k.status, limits(k), when(k.lastUsedAt),
            k.expiryMode === 'fromFirstUse' && !k.expiresAt
              ? `${k.activationDays} ${t('daysFromFirstUse')}`
              : when(k.expiresAt), actions(
      button(flip, async () => {
        await api('PATCH', `/api/v1/api-keys/${k.id}`,
                  { status: flip === 'disable' ? 'disabled' : 'active' });
        await keys();
      }, fail),
      button('edit', () => edit(k), fail),
      button('rotate', async () => {
        if (confirm(t('confirmRotate'))) {
          shown((await api('POST', `/api/v1/api-keys/${k.id}/rotate`,
                           {})).key);
          await keys();
        }
      }, fail),
      button('delete', async () => {
        if (confirm(t('confirmDelete'))) {
          await api('DELETE', `/api/v1/api-keys/${k.id}`);
          await keys();
        }
      }, fail))];
  });
}

async function edit(k) {
  editing = k;
  const f = $('key-edit');
  const e = f.elements;
  $('key-edit-name').textContent = k.name;
  e.name.value = k.name;
  for (const box of f.querySelectorAll('input[name=perm]')) {
    box.checked = k.permissions.includes(box.value);
  }
  for (const l of costLimits) {
    e[l].value = Number(k[l] || 0) / 1e6;
  }
  for (const n of numbers) {
    e[n].value = k[n] || (n === 'rateWindowSeconds' ? 60 : 0);
  }
  e.rateLimitTokens.value = k.rateLimitTokens || 0;
  e.blockedModels.value = (k.blockedModels || []).join('\n');
  e.allowedClients.value = (k.allowedClients || []).join('\n');
  e.expiryMode.value = k.expiryMode || 'fixed';
  e.activationDays.value = k.activationDays || '';
  e.expiresAt.value = day(k.expiresAt);
  const bind = e.binding;
  bind.replaceChildren();
  option(bind, t('anyAccount'), '');
  if (isAdmin()) {
    for (const a of await apiAll('/api/v1/accounts', 'accounts')) {
      option(bind, `${t('account')}: ${a.name}`, `a${a.id}`);
    }
    for (const g of await apiAll('/api/v1/account-groups',
                                 'accountGroups')) {
      option(bind, `${t('group')}: ${g.name}`, `g${g.id}`);
    }
    bind.value = k.accountId ? `a${k.accountId}`
      : k.groupId ? `g${k.groupId}` : '';
  }
  expiryMode();
  f.hidden = false;
  e.name.focus();
}

// the field of the other mode is hidden and left out (disabled: its
// rules do not stop the form)
function expiryMode() {
  const e = $('key-edit').elements;
  const first = e.expiryMode.value === 'fromFirstUse';
  $('key-expires-label').hidden = first;
  e.expiresAt.disabled = first;
  $('key-activation-label').hidden = !first;
  e.activationDays.disabled = !first;
  e.activationDays.required = first;
}

// the fields that changed: a user's key policy judges only those
function changes(f, k) {
  const e = f.elements;
  const body = { version: k.version };
  const put = (name, v, was) => {
    if (JSON.stringify(v) !== JSON.stringify(was)) {
      body[name] = v;
    }
  };
  put('name', e.name.value, k.name);
  put('permissions', [...f.querySelectorAll('input[name=perm]:checked')]
    .map((b) => b.value), k.permissions);
  put('blockedModels', lines(e.blockedModels.value), k.blockedModels || []);
  put('allowedClients', lines(e.allowedClients.value),
      k.allowedClients || []);
  put('rateLimitTokens', String(Number(e.rateLimitTokens.value || 0)),
      String(k.rateLimitTokens || 0));
  for (const l of costLimits) {
    put(l, micros(e[l].value), String(k[l] || 0));
  }
  for (const n of numbers) {
    put(n, Number(e[n].value || 0),
        k[n] || (n === 'rateWindowSeconds' ? 60 : 0));
  }
  const mode = e.expiryMode.value;
  if (mode === 'fromFirstUse') {
    put('expiryMode', mode, k.expiryMode || 'fixed');
    put('activationDays', Number(e.activationDays.value || 0),
        k.activationDays || 0);
    if (body.expiryMode) {
      body.activationDays = Number(e.activationDays.value || 0);
    }
  } else {
    put('expiryMode', mode, k.expiryMode || 'fixed');
    put('expiresAt', dayTs(e.expiresAt.value),
        k.expiresAt ? dayTs(day(k.expiresAt)) : null);
  }
  if (isAdmin()) {
    const b = e.binding.value;
    put('accountId', b.startsWith('a') ? b.slice(1) : null,
        k.accountId || null);
    put('groupId', b.startsWith('g') ? b.slice(1) : null, k.groupId || null);
    if (body.accountId && k.groupId && body.groupId === undefined) {
      body.groupId = null;
    }
    if (body.groupId && k.accountId && body.accountId === undefined) {
      body.accountId = null;
    }
  }
  return body;
}

async function save(event) {
  event.preventDefault();
  const f = $('key-edit');
  const k = editing;
  try {
    await api('PATCH', `/api/v1/api-keys/${k.id}`, changes(f, k));
    f.hidden = true;
    $('key-result').textContent = `${f.elements.name.value}: ${t('saved')}`;
    await keys();
  } catch (err) {
    fail(err);
  }
}

async function create(event) {
  event.preventDefault();
  const body = { name: $('key-name').value,
                 userId: isAdmin() ? $('key-owner').value : current().id };
  try {
    shown((await api('POST', '/api/v1/api-keys', body)).key);
    $('key-name').value = '';
    $('key-result').textContent = '';
    await keys();
  } catch (e) {
    fail(e);
  }
}

async function copy() {
  try {
    await navigator.clipboard.writeText($('new-key-value').textContent);
    $('copied').textContent = t('copied');
  } catch (e) {
    getSelection().selectAllChildren($('new-key-value'));
    $('copied').textContent = t('copyBySelect');
  }
}

export function keysReset() {
  editing = null;
  owners = new Map();
  $('key-edit').reset();
  $('key-edit').hidden = true;
  $('key-edit-name').textContent = '';
  $('key-form').reset();
  $('key-owner').replaceChildren();
  $('new-key').hidden = true;
  $('new-key-value').textContent = '';
  $('copied').textContent = '';
  $('key-result').textContent = '';
}

export function keysInit() {
  $('key-form').addEventListener('submit', create);
  $('key-edit').addEventListener('submit', save);
  $('key-edit').elements.expiryMode.addEventListener('change', expiryMode);
  $('key-edit-cancel').addEventListener('click', () => {
    $('key-edit').hidden = true;
  });
  $('copy').addEventListener('click', copy);
  $('new-key-done').addEventListener('click', () => {
    $('new-key').hidden = true;
    $('new-key-value').textContent = '';
  });
}
