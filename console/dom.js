// Small DOM helpers the console's pages share: tables, buttons, cards,
// forms, and how money, times and counts are shown.  Text goes in as
// text (textContent), never as HTML.

import { locale, t } from './i18n.js';

export const $ = (id) => document.getElementById(id);

// micro-dollars (a decimal string) as dollars with four decimals
export const money = (m) => '$' + (Number(m || 0) / 1e6).toFixed(4);

export const when = (ts) => ts ? new Date(ts).toLocaleString(locale())
                                : '—';

// a <time> with the machine-readable time beside the shown one
export function timeEl(ts) {
  if (!ts) {
    return '—';
  }
  const el = document.createElement('time');
  el.dateTime = ts;
  el.textContent = when(ts);
  return el;
}

export const count = (n) => Number(n || 0).toLocaleString('en-US');

// dollars typed in a form as micro-dollars (a decimal string)
export const micros = (v) => String(Math.round(Number(v || 0) * 1e6));

// a textarea's lines, trimmed, without empty ones
export const lines = (v) => v.split('\n').map((s) => s.trim())
  .filter(Boolean);

export function cells(row, values) {
  for (const v of values) {
    const td = document.createElement('td');
    if (v instanceof Node) {
      td.appendChild(v);
    } else {
      td.textContent = v === null || v === undefined ? '' : v;
    }
    row.appendChild(td);
  }
}

// a button labelled t(label); its action's failure is shown by fail
export function button(label, action, fail) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = t(label);
  b.addEventListener('click', async () => {
    try {
      await action();
    } catch (e) {
      if (fail) {
        fail(e);
      }
    }
  });
  return b;
}

export function actions(...buttons) {
  const span = document.createElement('span');
  span.className = 'row';
  buttons.filter(Boolean).forEach((b) => span.appendChild(b));
  return span;
}

// a table's body drawn again: one row per item, data-id its id
export function rows(table, list, values) {
  const body = $(table).tBodies[0];
  body.replaceChildren();
  for (const item of list) {
    const row = document.createElement('tr');
    if (item && item.id !== undefined) {
      row.dataset.id = item.id;
    }
    cells(row, values(item));
    body.appendChild(row);
  }
  if (list.length === 0) {
    const row = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = $(table).tHead ? $(table).tHead.rows[0].cells.length : 1;
    td.className = 'hint';
    td.textContent = t('nothing');
    row.appendChild(td);
    row.dataset.empty = '';
    body.appendChild(row);
  }
}

// a <dl> of cards: [label, value, name?]; data-name for tests and styles
export function cards(dl, entries) {
  dl.replaceChildren();
  for (const [label, value, name] of entries) {
    const div = document.createElement('div');
    const dt = document.createElement('dt');
    const dd = document.createElement('dd');
    dt.textContent = label;
    dd.textContent = value;
    dd.dataset.name = name || label;
    div.append(dt, dd);
    dl.appendChild(div);
  }
}

export function option(select, label, value) {
  const o = new Option(label, value);
  select.appendChild(o);
  return o;
}

// a form's filled fields; numbers as numbers, checkboxes as booleans
export function formBody(form) {
  const body = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled || el.dataset.skip !== undefined) {
      continue;
    }
    if (el.type === 'checkbox') {
      body[el.name] = el.checked;
    } else if (el.value !== '') {
      body[el.name] = el.type === 'number' ? Number(el.value) : el.value;
    }
  }
  return body;
}

// a labelled input (or select, or textarea) made in a script
export function field(label, name, opts = {}) {
  const wrap = document.createElement('label');
  const span = document.createElement('span');
  span.textContent = label;
  const input = document.createElement(opts.tag || 'input');
  input.name = name;
  if (!opts.tag) {
    input.type = opts.type || 'text';
    input.autocomplete = 'off';
  }
  if (opts.tag === 'textarea') {
    input.rows = 2;
  }
  if (opts.value !== undefined && opts.value !== null) {
    input.value = opts.value;
  }
  if (opts.placeholder) {
    input.placeholder = opts.placeholder;
  }
  wrap.append(span, input);
  return wrap;
}

// "requested=upstream" lines <-> a model map
export function mapLines(map) {
  return Object.entries(map || {}).map(([k, v]) => `${k}=${v}`).join('\n');
}

export function linesMap(text) {
  const map = {};
  for (const l of lines(text)) {
    const i = l.indexOf('=');
    if (i > 0) {
      map[l.slice(0, i).trim()] = l.slice(i + 1).trim();
    }
  }
  return map;
}

// "2031-01-01" from an RFC 3339 time (UTC), and back
export const day = (ts) => ts ? ts.slice(0, 10) : '';
export const dayTs = (d) => d ? d + 'T00:00:00Z' : null;

// RFC 3339 without milliseconds, as the API takes times
export const rfc3339 = (date) => date.toISOString()
  .replace(/\.\d{3}Z$/, 'Z');
