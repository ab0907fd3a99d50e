// The key self-service page: the key asks GET /api/v1/key-self about
// itself and the answer is shown; the key stays in this page only.

import { locale, setLang, savedLang, t } from './i18n.js';

const $ = (id) => document.getElementById(id);
let last = null;

// micro-dollars (a decimal string) as dollars
function dollars(micros) {
  if (micros === null || micros === undefined) {
    return t('none');
  }
  return '$' + (Number(micros) / 1e6).toFixed(4);
}

function cell(row, text) {
  const td = document.createElement('td');
  td.textContent = text;
  row.appendChild(td);
}

function show(k) {
  last = k;
  $('name').textContent = k.name;
  $('status').textContent = t(k.status) || k.status;
  $('status').className = 'pill ' + k.status;
  $('expires').textContent = k.expiresAt
    ? new Date(k.expiresAt).toLocaleString(locale()) : t('never');
  $('permissions').textContent = k.permissions.join(', ');
  $('concurrency').textContent = k.limits.concurrency
    ? String(k.limits.concurrency) : t('none');
  const rate = [];
  if (Number(k.limits.rateRequests) > 0) {
    rate.push(`${k.limits.rateRequests} ${t('requestsWord')}`);
  }
  if (Number(k.limits.rateTokens) > 0) {
    rate.push(`${k.limits.rateTokens} ${t('tokensWord')}`);
  }
  $('rate').textContent = rate.length
    ? `${rate.join(', ')} / ${k.limits.rateWindowSeconds} s` : t('none');

  const body = $('spending').tBodies[0];
  body.replaceChildren();
  for (const [period, limit] of [['today', 'dailyCostMicros'],
                                 ['week', 'weeklyCostMicros'],
                                 ['total', 'totalCostMicros']]) {
    const row = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = t(period);
    row.appendChild(th);
    cell(row, k[period].requests);
    cell(row, k[period].tokens);
    cell(row, dollars(k[period].costMicros));
    cell(row, Number(k.limits[limit]) > 0 ? dollars(k.limits[limit])
                                          : t('none'));
    cell(row, k.remaining[limit] === null ? t('none')
                                          : dollars(k.remaining[limit]));
    row.dataset.period = period;
    body.appendChild(row);
  }

  const recent = $('recent').tBodies[0];
  recent.replaceChildren();
  if (k.recent.length === 0) {
    const row = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = 6;
    td.textContent = t('noRequests');
    row.appendChild(td);
    recent.appendChild(row);
  }
  for (const r of k.recent) {
    const row = document.createElement('tr');
    cell(row, new Date(r.ts).toLocaleString(locale()));
    cell(row, r.model);
    cell(row, r.inputTokens);
    cell(row, r.outputTokens);
    cell(row, dollars(r.costMicros));
    cell(row, r.status);
    recent.appendChild(row);
  }

  $('error').hidden = true;
  $('result').hidden = false;
}

function fail(what) {
  $('result').hidden = true;
  $('error').textContent = t(what);
  $('error').hidden = false;
}

async function ask(event) {
  event.preventDefault();
  const key = $('key').value.trim();
  if (!/^cr_[A-Za-z0-9_-]{64}$/.test(key)) {
    fail('badKey');
    return;
  }
  let res;
  try {
    res = await fetch('/api/v1/key-self', {
      headers: { 'x-api-key': key },
      cache: 'no-store',
    });
  } catch (e) {
    fail('failed');
    return;
  }
  if (res.status === 401) {
    fail('unknownKey');
  } else if (res.status === 429) {
    fail('tooMany');
  } else if (!res.ok) {
    fail('failed');
  } else {
    show(await res.json());
  }
}

$('ask').addEventListener('submit', ask);
$('lang').addEventListener('change', (e) => {
  setLang(e.target.value);
  if (last) {
    show(last);
  }
});

const lang = savedLang();
$('lang').value = lang;
setLang(lang);
