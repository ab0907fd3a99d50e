// The audit log (admins): who changed what, the newest first, filtered
// by resource and action, each entry's before and after on demand.

import { $, cells, count, when } from './dom.js';
import { api } from './session.js';
import { t } from './i18n.js';

const PAGE = 50;
let pages = [''];

function diff(e) {
  const details = document.createElement('details');
  const summary = document.createElement('summary');
  summary.textContent = t('beforeAfter');
  const pre = document.createElement('pre');
  pre.textContent = JSON.stringify({ before: e.before, after: e.after },
                                   null, 2);
  details.append(summary, pre);
  return details;
}

async function page(i) {
  const q = new URLSearchParams({ pageSize: String(PAGE),
                                  orderBy: 'id desc' });
  for (const [param, id] of [['resource', 'audit-resource'],
                             ['action', 'audit-action']]) {
    if ($(id).value) {
      q.set(param, $(id).value);
    }
  }
  if (pages[i]) {
    q.set('pageToken', pages[i]);
  }
  const r = await api('GET', '/api/v1/audit-log?' + q);
  pages = pages.slice(0, i + 1);
  if (r.nextPageToken) {
    pages.push(r.nextPageToken);
  }
  const body = $('audit-list').tBodies[0];
  body.replaceChildren();
  for (const e of r.entries || []) {
    const row = document.createElement('tr');
    row.dataset.id = e.id;
    cells(row, [when(e.ts), e.actorName || '—', e.action,
                `${e.resource} ${e.resourceId || ''}`.trim(),
                e.remoteAddr || '', diff(e)]);
    body.appendChild(row);
  }
  const n = Number(r.totalSize || 0);
  $('audit-count').textContent =
    `${count(n)} ${t(n === 1 ? 'entry' : 'entries')}`;
  $('audit-prev').disabled = i === 0;
  $('audit-next').disabled = !r.nextPageToken;
  $('audit-prev').dataset.page = String(Math.max(0, i - 1));
  $('audit-next').dataset.page = String(i + 1);
}

export async function audit() {
  pages = [''];
  await page(0);
}

export function auditReset() {
  pages = [''];
  $('audit-form').reset();
  $('audit-count').textContent = '';
}

export function auditInit(fail) {
  $('audit-form').addEventListener('submit', (e) => {
    e.preventDefault();
    audit().catch(fail);
  });
  $('audit-prev').addEventListener('click', (e) =>
    page(Number(e.target.dataset.page)).catch(fail));
  $('audit-next').addEventListener('click', (e) =>
    page(Number(e.target.dataset.page)).catch(fail));
}
