// Charts of usage over time, drawn by uPlot (pinned in
// console/package.json, copied in by make console).  Each chart comes
// with the same numbers as a table (in a <details>), for screen readers,
// keyboards and copying.  Times are UTC, as the API's buckets are.

import uPlot from './uplot.js';
import { t } from './i18n.js';

const charts = new Map();
const colors = ['#0b5cad', '#b35900', '#116329', '#6e40c9'];
const utc = (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC');

// "12-04 13:00" (hours) or "2026-12-04" (days), UTC
export function bucketLabel(ms, hourly) {
  const iso = new Date(ms).toISOString();
  return hourly ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}`
                : iso.slice(0, 10);
}

// a time axis tick, 24-hour UTC: "13:00", the day at midnight ("12-04")
function tick(ms, hourly) {
  const iso = new Date(ms).toISOString();
  return hourly && iso.slice(11, 13) !== '00' ? iso.slice(11, 16)
                                               : iso.slice(5, 10);
}

function table(box, title, xs, series, hourly) {
  const details = document.createElement('details');
  const summary = document.createElement('summary');
  summary.textContent = t('asTable');
  const tbl = document.createElement('table');
  tbl.className = 'grid';
  const caption = document.createElement('caption');
  caption.textContent = title;
  const head = tbl.createTHead().insertRow();
  for (const h of [t('time'), ...series.map((s) => s.label)]) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = h;
    head.appendChild(th);
  }
  const body = tbl.createTBody();
  xs.forEach((x, i) => {
    const row = body.insertRow();
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = bucketLabel(x * 1000, hourly);
    row.appendChild(th);
    for (const s of series) {
      row.insertCell().textContent = s.format(s.values[i]);
    }
  });
  tbl.prepend(caption);
  details.append(summary, tbl);
  box.appendChild(details);
}

// box: an element; xs: bucket starts (ms); series: [{label, values,
// format}], bars for one series, lines for more
export function timeChart(box, title, xs, series, hourly) {
  const old = charts.get(box);
  if (old) {
    old.destroy();
  }
  // a table someone opened stays open when the chart is drawn again
  const opened = Boolean(box.querySelector('details[open]'));
  box.replaceChildren();
  const plot = document.createElement('div');
  plot.className = 'plot';
  plot.setAttribute('role', 'img');
  plot.setAttribute('aria-label', title);
  box.appendChild(plot);
  const secs = xs.map((x) => x / 1000);
  const bars = series.length === 1;
  const width = Math.max(240, box.clientWidth || 600);
  const opts = {
    title,
    width,
    height: 180,
    tzDate: utc,
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true } },
    legend: { show: !bars },
    series: [{ label: t('time'),
               value: (u, v) => v === null ? '—'
                                  : bucketLabel(v * 1000, hourly) }]
      .concat(series.map((s, i) => ({
        label: s.label,
        stroke: colors[i % colors.length],
        fill: bars ? colors[i % colors.length] + 'cc' : undefined,
        width: bars ? 0 : 2,
        paths: bars ? uPlot.paths.bars({ size: [0.7, 40] }) : undefined,
        points: { show: !bars && xs.length < 40 },
        value: (u, v) => s.format(v),
      }))),
    axes: [
      { stroke: '#4a5361', grid: { stroke: '#e3e8ee' },
        values: (u, vals) => vals.map((v) => tick(v * 1000, hourly)) },
      { stroke: '#4a5361', grid: { stroke: '#e3e8ee' }, size: 70,
        values: (u, vals) => vals.map((v) => series[0].format(v)) },
    ],
  };
  const u = new uPlot(opts, [secs, ...series.map((s) => s.values)], plot);
  charts.set(box, u);
  table(box, title, secs, series, hourly);
  box.querySelector('details').open = opened;
  if (!box.dataset.observed && window.ResizeObserver) {
    box.dataset.observed = '1';
    new ResizeObserver(() => {
      const c = charts.get(box);
      if (c && box.clientWidth > 0) {
        c.setSize({ width: Math.max(240, box.clientWidth), height: 180 });
      }
    }).observe(box);
  }
  return u;
}

export function dropCharts() {
  for (const [box, u] of charts) {
    u.destroy();
    box.replaceChildren();
  }
  charts.clear();
}
