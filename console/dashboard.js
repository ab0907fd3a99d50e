// The dashboard: requests, tokens and cost over the chosen period (the
// usage summary by hour or day), the top keys, models and accounts by
// cost, and for admins the accounts by state and the usage stream's
// backlog (GET /healthz).  A user's numbers are their own: the API
// answers them nothing else.

import { $, cards, count, money, rows, timeEl, rfc3339 } from './dom.js';
import { api, apiAll, isAdmin } from './session.js';
import { timeChart } from './charts.js';
import { locale, t } from './i18n.js';

const HOUR = 3600e3;
const DAY = 24 * HOUR;
const ranges = {
  '24h': { n: 24, step: HOUR, groupBy: 'hour' },
  '7d': { n: 7 * 24, step: HOUR, groupBy: 'hour' },
  '30d': { n: 30, step: DAY, groupBy: 'day' },
};

// the period's buckets, the last one holding now (UTC)
function buckets(range) {
  const r = ranges[range] || ranges['24h'];
  const last = Math.floor(Date.now() / r.step) * r.step;
  const xs = [];
  for (let i = r.n - 1; i >= 0; i--) {
    xs.push(last - i * r.step);
  }
  return { r, xs, from: rfc3339(new Date(xs[0])) };
}

const tokensOf = (g) => Number(g.inputTokens || 0) +
  Number(g.outputTokens || 0) + Number(g.cacheCreationTokens || 0) +
  Number(g.cacheReadTokens || 0);

async function series(range) {
  const { r, xs, from } = buckets(range);
  const sum = await api('GET', `/api/v1/usage/summary?groupBy=${r.groupBy}` +
                               `&from=${from}&pageSize=500`);
  const at = new Map((sum.groups || []).map((g) => [Date.parse(g.group),
                                                    g]));
  const pick = (f) => xs.map((x) => at.has(x) ? f(at.get(x)) : 0);
  const hourly = r.step === HOUR;
  const n = (v) => count(v);
  timeChart($('chart-requests'), t('requests'), xs,
            [{ label: t('requests'), values: pick((g) => Number(g.requests)),
               format: n }], hourly);
  timeChart($('chart-tokens'), t('tokens'), xs, [
    { label: t('input'), values: pick((g) => Number(g.inputTokens)),
      format: n },
    { label: t('output'), values: pick((g) => Number(g.outputTokens)),
      format: n },
    { label: t('cacheTokens'), values: pick((g) =>
        Number(g.cacheCreationTokens) + Number(g.cacheReadTokens)),
      format: n },
  ], hourly);
  timeChart($('chart-cost'), t('cost'), xs,
            [{ label: t('cost'), values: pick((g) => Number(g.costMicros)),
               format: (v) => v === null ? '—' : money(v) }], hourly);
  cards($('totals'), [
    [t('requests'), count(sum.total.requests), 'Requests'],
    [t('tokens'), count(tokensOf(sum.total)), 'Tokens'],
    [t('cost'), money(sum.total.costMicros), 'Cost'],
  ]);
  return from;
}

// the top five groups by cost, named by name where there is one
async function top(table, groupBy, from, name) {
  const r = await api('GET', `/api/v1/usage/summary?groupBy=${groupBy}` +
                             `&orderBy=costMicros+desc&pageSize=5` +
                             `&from=${from}`);
  const groups = r.groups || [];
  const names = await Promise.all(groups.map((g) => name(g.group)));
  rows(table, groups.map((g, i) => Object.assign({}, g,
                                                 { label: names[i] })),
       (g) => [g.label, count(g.requests), money(g.costMicros)]);
}

// an account's state as the dashboard counts it, and until when
export function accountState(a, now = Date.now()) {
  const until = [a.cooldownUntil, a.windowExhaustedUntil]
    .filter((u) => u && Date.parse(u) > now).sort().pop() || null;
  if (a.status === 'disabled') {
    return ['disabled', null];
  }
  if (a.status === 'error') {
    return ['error', null];
  }
  if (a.circuit === 'open') {
    return ['circuitOpen', until];
  }
  if (until) {
    return ['coolingDown', until];
  }
  if (a.status === 'overloaded') {
    return ['overloaded', null];
  }
  if (!a.schedulable) {
    return ['paused', null];
  }
  return ['active', null];
}

async function states(accounts) {
  const now = Date.now();
  const by = accounts.map((a) => [a, ...accountState(a, now)]);
  const n = (s) => count(by.filter(([, st]) => st === s).length);
  cards($('states'), ['active', 'coolingDown', 'circuitOpen', 'error',
                      'disabled'].map((s) => [t(s), n(s), s]));
  rows('state-list', by.filter(([, st]) => st !== 'active'),
       ([a, st, until]) => [a.name, t(st), timeEl(until),
                            a.health ?? '—']);
}

async function stream() {
  const h = await fetch('/healthz', { cache: 'no-store' })
    .then((res) => res.json()).catch(() => ({}));
  cards($('stream'), [
    [t('backlog'), count(h.usageBacklog ?? 0), 'waiting'],
    [t('pending'), count(h.usagePending ?? 0), 'pending'],
    [t('dead'), count(h.usageDead ?? 0), 'dead'],
  ]);
}

export async function dashboard() {
  const from = await series($('range').value);
  const key = async (id) => {
    try {
      return (await api('GET', `/api/v1/api-keys/${id}`)).name;
    } catch (e) {
      return `#${id}`;
    }
  };
  await top('top-keys', 'key', from, key);
  await top('top-models', 'model', from, async (m) => m);
  if (isAdmin()) {
    const accounts = await apiAll('/api/v1/accounts', 'accounts');
    const names = new Map(accounts.map((a) => [a.id, a.name]));
    await top('top-accounts', 'account', from,
              async (id) => names.get(id) || `#${id}`);
    await states(accounts);
    await stream();
  }
  $('dash-updated').textContent = `${t('updated')} ` +
    new Date().toLocaleTimeString(locale());
}
