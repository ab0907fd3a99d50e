// Users (admins): create, edit (name shown, email, role, a new password
// for local users), disable or enable, delete.

import { $, actions, button, formBody, rows, when } from './dom.js';
import { api, apiAll } from './session.js';
import { t } from './i18n.js';

let editing = null;

const say = (text) => {
  $('user-result').textContent = text;
};
const fail = (e) => say(String(e.message));

export async function users() {
  const list = await apiAll('/api/v1/users', 'users');
  rows('user-list', list, (u) => {
    const flip = u.status === 'active' ? 'disable' : 'enable';
    return [u.username, u.displayName || '', u.role, t(u.status) || u.status,
            u.authSource, when(u.lastLoginAt), actions(
      button('edit', () => edit(u), fail),
      button(flip, async () => {
        await api('PATCH', `/api/v1/users/${u.id}`,
                  { status: flip === 'disable' ? 'disabled' : 'active' });
        await users();
      }, fail),
      button('delete', async () => {
        if (confirm(t('confirmDeleteUser'))) {
          await api('DELETE', `/api/v1/users/${u.id}`);
          say(`${u.username}: ${t('deleted')}`);
          await users();
        }
      }, fail))];
  });
}

function edit(u) {
  editing = u;
  const f = $('user-edit');
  const e = f.elements;
  $('user-edit-name').textContent = u.username;
  e.displayName.value = u.displayName || '';
  e.email.value = u.email || '';
  e.role.value = u.role;
  e.password.value = '';
  $('user-password-label').hidden = u.authSource !== 'local';
  f.hidden = false;
  e.displayName.focus();
}

async function save(event) {
  event.preventDefault();
  const f = $('user-edit');
  const e = f.elements;
  const u = editing;
  const body = { version: u.version };
  if (e.displayName.value !== (u.displayName || '')) {
    body.displayName = e.displayName.value || null;
  }
  if (e.email.value !== (u.email || '')) {
    body.email = e.email.value || null;
  }
  if (e.role.value !== u.role) {
    body.role = e.role.value;
  }
  if (e.password.value) {
    body.password = e.password.value;
  }
  try {
    await api('PATCH', `/api/v1/users/${u.id}`, body);
    f.hidden = true;
    say(`${u.username}: ${t('saved')}`);
    await users();
  } catch (err) {
    fail(err);
  }
}

async function create(event) {
  event.preventDefault();
  try {
    const u = await api('POST', '/api/v1/users', formBody($('user-form')));
    $('user-form').reset();
    say(`${t('made')}: ${u.username}`);
    await users();
  } catch (e) {
    fail(e);
  }
}

export function usersReset() {
  editing = null;
  $('user-edit').reset();
  $('user-edit').hidden = true;
  $('user-form').reset();
  say('');
}

export function usersInit() {
  $('user-form').addEventListener('submit', create);
  $('user-edit').addEventListener('submit', save);
  $('user-edit-cancel').addEventListener('click', () => {
    $('user-edit').hidden = true;
  });
}
