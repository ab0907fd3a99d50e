// Plans, subscriptions and bills.  Admins create, disable and delete
// plans, subscribe users and cancel subscriptions, and close a month's
// bills; a user sees the plans, their own subscriptions and their own
// bill of any month.

import { $, actions, button, count, formBody, micros, money, option, rows,
         when } from './dom.js';
import { api, apiAll, current, isAdmin } from './session.js';
import { t } from './i18n.js';

const fail = (e) => {
  $('billing-result').textContent = String(e.message);
};

const thisMonth = () => new Date().toISOString().slice(0, 7);

async function plans() {
  const list = await apiAll('/api/v1/plans', 'plans');
  const admin = isAdmin();
  rows('plan-list', list, (p) => [p.name, t(p.period) || p.period,
    money(p.quotaCostMicros), money(p.priceMicros), t(p.status) || p.status,
    admin ? actions(
      button(p.status === 'active' ? 'disable' : 'enable', async () => {
        await api('PATCH', `/api/v1/plans/${p.id}`, {
          version: p.version,
          status: p.status === 'active' ? 'disabled' : 'active' });
        await billing();
      }, fail),
      button('delete', async () => {
        if (confirm(t('confirmDeletePlan'))) {
          await api('DELETE', `/api/v1/plans/${p.id}`);
          await billing();
        }
      }, fail)) : '']);
  return list;
}

async function subscriptions(plansList, users) {
  const names = new Map(plansList.map((p) => [p.id, p.name]));
  const list = await apiAll('/api/v1/subscriptions', 'subscriptions');
  rows('subscription-list', list, (s) => [
    users.get(s.userId) || `#${s.userId}`,
    names.get(s.planId) || `#${s.planId}`, t(s.status) || s.status,
    when(s.startAt), when(s.expireAt), s.autoRenew ? t('yes') : t('no'),
    isAdmin() && s.status === 'active' ? actions(
      button('cancelSubscription', async () => {
        if (confirm(t('confirmCancel'))) {
          await api('PATCH', `/api/v1/subscriptions/${s.id}`,
                    { version: s.version, status: 'cancelled' });
          await billing();
        }
      }, fail)) : '']);
}

async function bills(users) {
  const month = $('bill-month').value || thisMonth();
  const r = await api('GET', `/api/v1/bills?pageSize=500&month=${month}`);
  $('bill-state').textContent = r.closed
    ? `${t('closedAt')} ${when(r.closedAt)}` : t('open');
  $('bill-close').hidden = !isAdmin() || r.closed || month >= thisMonth();
  rows('bill-list', r.bills || [], (b) => [
    users.get(b.userId) || `#${b.userId}`, count(b.requests),
    count(Number(b.inputTokens) + Number(b.outputTokens)),
    money(b.costMicros),
    (b.models || []).map((m) => `${m.model} ${money(m.costMicros)}`)
      .join('; ') || '—',
    b.closed ? t('yes') : t('no')]);
}

export async function billing() {
  if (!$('bill-month').value) {
    $('bill-month').value = thisMonth();
  }
  const me = current();
  let users = new Map([[me.id, me.name]]);
  if (isAdmin()) {
    users = new Map((await apiAll('/api/v1/users', 'users'))
                    .map((u) => [u.id, u.username]));
  }
  const list = await plans();
  await subscriptions(list, users);
  if (isAdmin()) {
    const pickUser = $('subscription-user');
    pickUser.replaceChildren();
    for (const [id, name] of users) {
      option(pickUser, name, id);
    }
    const pickPlan = $('subscription-plan');
    pickPlan.replaceChildren();
    for (const p of list.filter((x) => x.status === 'active')) {
      option(pickPlan, p.name, p.id);
    }
  }
  await bills(users);
}

async function submit(event, path, body) {
  event.preventDefault();
  try {
    await api('POST', path, body);
    event.target.reset();
    $('billing-result').textContent = '';
    await billing();
  } catch (e) {
    fail(e);
  }
}

export function billingReset() {
  for (const id of ['plan-form', 'subscription-form', 'bill-form']) {
    $(id).reset();
  }
  $('subscription-user').replaceChildren();
  $('subscription-plan').replaceChildren();
  $('bill-state').textContent = '';
  $('billing-result').textContent = '';
}

export function billingInit() {
  $('plan-form').addEventListener('submit', (e) => {
    const body = formBody($('plan-form'));
    for (const f of ['quotaCostMicros', 'priceMicros']) {
      if (body[f] !== undefined) {
        body[f] = micros(body[f]);
      }
    }
    submit(e, '/api/v1/plans', body);
  });
  $('subscription-form').addEventListener('submit', (e) =>
    submit(e, '/api/v1/subscriptions', formBody($('subscription-form'))));
  $('bill-form').addEventListener('submit', (e) => {
    e.preventDefault();
    billing().catch(fail);
  });
  $('bill-close').addEventListener('click', async () => {
    try {
      await api('POST', '/api/v1/bills/close',
                { month: $('bill-month').value });
      await billing();
    } catch (e) {
      fail(e);
    }
  });
}
