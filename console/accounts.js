// Upstream accounts (admins): the list with each account's live state
// (status, health, circuit, cooldown, requests in flight, the vendor's
// usage windows), test/reset/refresh/disable/delete, an edit form with
// every field of the account's type, a form that creates an account of
// any type, the OAuth onboarding flow, and account groups.

import { $, actions, button, cells, field, formBody, lines, linesMap,
         mapLines, option, rows, timeEl, when } from './dom.js';
import { api, apiAll } from './session.js';
import { accountState } from './dashboard.js';
import { t } from './i18n.js';

// each type's secrets (write-only) and own fields (the admin API's)
export const accountTypes = {
  'claude-console': { secrets: ['apiKey'], own: [] },
  'claude-official': { secrets: ['accessToken', 'refreshToken'], own: [] },
  ccr: { secrets: ['apiKey'], own: [] },
  openai: { secrets: ['apiKey'], own: [] },
  codex: { secrets: ['accessToken', 'refreshToken'],
           own: ['chatgptAccountId'] },
  'azure-openai': { secrets: ['apiKey'],
                    own: ['azureDeployment', 'azureApiVersion'] },
  gemini: { secrets: ['apiKey'], own: [] },
  'gemini-oauth': { secrets: ['accessToken', 'refreshToken'],
                    own: ['projectId'] },
  droid: { secrets: ['apiKey', 'refreshToken'], own: [] },
  bedrock: { secrets: ['awsSecretAccessKey', 'awsSessionToken', 'apiKey'],
             own: ['awsRegion', 'awsAccessKeyId'] },
};

// the OAuth providers and the type of account each makes
const providerType = { claude: 'claude-official', codex: 'codex',
                       gemini: 'gemini-oauth', droid: 'droid' };

let groups = [];
let list = [];
let editing = null;
let oauthSession = null;

const result = (text) => { $('account-result').textContent = text; };
const made = (text) => { $('account-made').textContent = text; };

// "5h 34% → 18:00": each window the vendor reported
function windows(a) {
  return (a.usageWindows || []).map((w) => `${w.window} ${w.status}` +
    (w.utilization !== undefined && w.utilization !== null
      ? ` ${Math.round(w.utilization * 100)}%` : '') +
    (w.resetsAt ? ` → ${when(w.resetsAt)}` : '')).join('; ') || '—';
}

function typeFields(box, type, a) {
  box.replaceChildren();
  const spec = accountTypes[type];
  for (const f of spec.own) {
    box.appendChild(field(t(f), f, { value: a ? a[f] : undefined }));
  }
  for (const f of spec.secrets) {
    const label = a ? `${t(f)} (${t('keepEmpty')})` : t(f);
    box.appendChild(field(label, f, { type: 'password' }));
  }
}

function groupOptions(select, type, value) {
  select.replaceChildren();
  option(select, t('noGroup'), '');
  for (const g of groups) {
    option(select, `${g.name} (${g.platform})`, g.id);
  }
  select.value = value || '';
}

async function act(a, what, path, body) {
  try {
    const r = await api('POST', `/api/v1/accounts/${a.id}/${path}`,
                        body || {});
    if (what === 'test') {
      result(`${a.name}: ${r.ok ? t('testOk') : t('testFail')} ` +
             `(${r.status}, ${r.latencyMs || 0} ms)` +
             (r.error ? ` ${r.error}` : ''));
    } else {
      result(`${a.name}: ${t(what + 'Done')}`);
    }
  } catch (e) {
    result(`${a.name}: ${e.message}`);
  }
  await accounts();
}

function row(a) {
  const flip = a.status === 'disabled' ? 'enable' : 'disable';
  const fail = (e) => result(`${a.name}: ${e.message}`);
  const [state, until] = accountState(a);
  const oauth = a.hasRefreshToken && ['claude-official', 'codex',
                                      'gemini-oauth', 'droid']
    .includes(a.type);
  const tr = document.createElement('tr');
  tr.dataset.id = a.id;
  tr.dataset.state = state;
  const limit = a.concurrencyLimit ? ` / ${a.concurrencyLimit}` : '';
  cells(tr, [a.name, a.type, t(a.status) || a.status, a.priority,
             a.health, a.circuit, timeEl(until),
             `${a.leasesInUse || 0}${limit}`, windows(a), actions(
      button('test', () => act(a, 'test', 'test'), fail),
      button('reset', () => act(a, 'reset', 'reset'), fail),
      button('edit', () => edit(a), fail),
      oauth ? button('refresh', () => act(a, 'refresh', 'refresh'), fail)
            : null,
      button(flip, async () => {
        await api('PATCH', `/api/v1/accounts/${a.id}`,
                  { status: flip === 'disable' ? 'disabled' : 'active' });
        await accounts();
      }, fail),
      button('delete', async () => {
        if (confirm(t('confirmDeleteAccount'))) {
          await api('DELETE', `/api/v1/accounts/${a.id}`);
          result(`${a.name}: ${t('deleted')}`);
          await accounts();
        }
      }, fail))]);
  return tr;
}

export async function accounts() {
  list = await apiAll('/api/v1/accounts', 'accounts');
  groups = await apiAll('/api/v1/account-groups', 'accountGroups');
  const body = $('account-list').tBodies[0];
  body.replaceChildren(...list.map(row));
  rows('group-list', groups, (g) => [g.name, g.platform,
    String(list.filter((a) => a.groupId === g.id).length), actions(
      button('delete', async () => {
        if (confirm(t('confirmDeleteGroup'))) {
          await api('DELETE', `/api/v1/account-groups/${g.id}`);
          await accounts();
        }
      }, (e) => result(`${g.name}: ${e.message}`)))]);
  groupOptions($('account-group'), null, $('account-group').value);
  renewOptions();
}

// ---- edit ----

function edit(a) {
  editing = a;
  const f = $('account-edit');
  $('account-edit-name').textContent = `${a.name} (${a.type})`;
  const e = f.elements;
  e.name.value = a.name;
  e.description.value = a.description || '';
  e.baseUrl.value = a.baseUrl || '';
  e.priority.value = a.priority;
  e.concurrencyLimit.value = a.concurrencyLimit || 0;
  e.rpmLimit.value = a.rpmLimit || 0;
  e.tpmLimit.value = a.tpmLimit || 0;
  e.schedulable.checked = a.schedulable;
  e.supportedModels.value = (a.supportedModels || []).join('\n');
  e.modelMap.value = mapLines(a.modelMap);
  e.proxyUrl.value = a.proxyUrl || '';
  e.proxyUsername.value = a.proxyUsername || '';
  e.proxyPassword.value = '';
  groupOptions(e.groupId, a.type, a.groupId);
  typeFields($('account-edit-fields'), a.type, a);
  f.hidden = false;
  e.name.focus();
}

// the fields that changed, and any secret typed in
function changes(f, a) {
  const e = f.elements;
  const body = { version: a.version };
  const str = (name, now) => {
    const v = e[name].value.trim();
    if (v !== (now || '')) {
      body[name] = v === '' ? null : v;
    }
  };
  const num = (name, now) => {
    const v = Number(e[name].value || 0);
    if (v !== Number(now || 0)) {
      body[name] = name === 'tpmLimit' ? String(v) : v;
    }
  };
  str('name', a.name);
  str('description', a.description);
  str('baseUrl', a.baseUrl);
  num('priority', a.priority);
  num('concurrencyLimit', a.concurrencyLimit);
  num('rpmLimit', a.rpmLimit);
  num('tpmLimit', a.tpmLimit);
  if (e.schedulable.checked !== a.schedulable) {
    body.schedulable = e.schedulable.checked;
  }
  if ((e.groupId.value || null) !== (a.groupId || null)) {
    body.groupId = e.groupId.value || null;
  }
  const models = lines(e.supportedModels.value);
  if (models.join('\n') !== (a.supportedModels || []).join('\n')) {
    body.supportedModels = models;
  }
  const map = linesMap(e.modelMap.value);
  if (JSON.stringify(map) !== JSON.stringify(a.modelMap || {})) {
    body.modelMap = map;
  }
  str('proxyUrl', a.proxyUrl);
  str('proxyUsername', a.proxyUsername);
  if (e.proxyPassword.value) {
    body.proxyPassword = e.proxyPassword.value;
  }
  const spec = accountTypes[a.type];
  for (const name of spec.own) {
    str(name, a[name]);
  }
  for (const name of spec.secrets) {
    if (e[name] && e[name].value) {
      body[name] = e[name].value;
    }
  }
  return body;
}

async function save(event) {
  event.preventDefault();
  const f = $('account-edit');
  const a = editing;
  try {
    await api('PATCH', `/api/v1/accounts/${a.id}`, changes(f, a));
    f.hidden = true;
    result(`${f.elements.name.value}: ${t('saved')}`);
    await accounts();
  } catch (e) {
    result(`${a.name}: ${e.message}`);
  }
}

// ---- create ----

function createFields() {
  typeFields($('account-fields'), $('account-type').value, null);
}

async function create(event) {
  event.preventDefault();
  const f = $('account-form');
  const body = formBody(f);
  delete body.supportedModels;
  delete body.modelMap;
  const models = lines(f.elements.supportedModels.value);
  if (models.length) {
    body.supportedModels = models;
  }
  const map = linesMap(f.elements.modelMap.value);
  if (Object.keys(map).length) {
    body.modelMap = map;
  }
  try {
    const a = await api('POST', '/api/v1/accounts', body);
    made(`${t('made')}: ${a.name} (${a.type})`);
    f.reset();
    createFields();
    await accounts();
  } catch (e) {
    made(String(e.message));
  }
}

async function createGroup(event) {
  event.preventDefault();
  try {
    await api('POST', '/api/v1/account-groups', formBody($('group-form')));
    $('group-form').reset();
    await accounts();
  } catch (e) {
    result(String(e.message));
  }
}

// ---- OAuth onboarding ----

function renewOptions() {
  const pick = $('oauth-renew');
  const was = pick.value;
  const type = providerType[$('oauth-provider').value];
  pick.replaceChildren();
  option(pick, t('newAccountOption'), '');
  for (const a of list.filter((x) => x.type === type)) {
    option(pick, a.name, a.id);
  }
  pick.value = [...pick.options].some((o) => o.value === was) ? was : '';
  $('oauth-name-label').hidden = Boolean(pick.value);
  $('oauth-name').required = !pick.value;
}

function providerChanged() {
  const p = $('oauth-provider').value;
  const droid = p === 'droid';
  $('oauth-start').hidden = droid;
  $('oauth-step').hidden = !droid;
  $('oauth-open').hidden = droid;
  $('oauth-code-label').hidden = droid;
  $('oauth-code').required = !droid;
  $('oauth-refresh-label').hidden = !droid;
  $('oauth-refresh').required = droid;
  $('oauth-project-label').hidden = p !== 'gemini';
  oauthSession = null;
  renewOptions();
}

async function startOAuth(event) {
  event.preventDefault();
  try {
    const r = await api('POST',
                        `/api/v1/oauth/${$('oauth-provider').value}/start`,
                        {});
    oauthSession = r.sessionId;
    // an address to open, never a script (javascript:) link
    $('oauth-url').href = /^https?:\/\//.test(r.authorizeUrl)
      ? r.authorizeUrl : '#';
    $('oauth-url').textContent = r.authorizeUrl;
    $('oauth-step').hidden = false;
    $('oauth-url').focus();
  } catch (e) {
    made(String(e.message));
  }
}

async function finishOAuth(event) {
  event.preventDefault();
  const p = $('oauth-provider').value;
  const body = {};
  const renew = $('oauth-renew').value;
  if (renew) {
    body.accountId = renew;
  } else {
    body.name = $('oauth-name').value;
  }
  if (p === 'droid') {
    body.refreshToken = $('oauth-refresh').value.trim();
  } else {
    body.sessionId = oauthSession;
    body.code = $('oauth-code').value.trim();
  }
  if ($('oauth-base').value) {
    body.baseUrl = $('oauth-base').value;
  }
  if (p === 'gemini' && $('oauth-project').value) {
    body.projectId = $('oauth-project').value;
  }
  try {
    const a = await api('POST', `/api/v1/oauth/${p}/exchange`, body);
    made(`${t(renew ? 'renewed' : 'made')}: ${a.name} (${a.type})`);
    $('oauth-exchange').reset();
    $('oauth-step').hidden = p !== 'droid';
    // a session is used once: its address goes with it
    $('oauth-url').removeAttribute('href');
    $('oauth-url').textContent = '';
    oauthSession = null;
    await accounts();
  } catch (e) {
    made(String(e.message));
  }
}

export function accountsReset() {
  editing = null;
  oauthSession = null;
  list = [];
  groups = [];
  for (const id of ['account-edit', 'account-form', 'oauth-exchange',
                    'group-form']) {
    $(id).reset();
  }
  $('account-edit').hidden = true;
  $('account-edit-fields').replaceChildren();
  result('');
  made('');
  providerChanged();
}

export function accountsInit() {
  for (const type of Object.keys(accountTypes)) {
    option($('account-type'), type, type);
  }
  createFields();
  $('account-type').addEventListener('change', createFields);
  $('account-form').addEventListener('submit', create);
  $('group-form').addEventListener('submit', createGroup);
  $('account-edit').addEventListener('submit', save);
  $('account-edit-cancel').addEventListener('click', () => {
    $('account-edit').hidden = true;
  });
  $('account-reload').addEventListener('click', () => accounts()
    .catch((e) => result(String(e.message))));
  $('oauth-provider').addEventListener('change', providerChanged);
  $('oauth-renew').addEventListener('change', () => {
    $('oauth-name-label').hidden = Boolean($('oauth-renew').value);
    $('oauth-name').required = !$('oauth-renew').value;
  });
  $('oauth-form').addEventListener('submit', startOAuth);
  $('oauth-exchange').addEventListener('submit', finishOAuth);
  providerChanged();
}
