// Each backup's size over time, a small line chart with one series per kind (and database, for dumps). A backup
// whose size the server flagged as an anomaly is marked red. Its text alternative is the description (per series:
// how many, the newest size, the range) and the backups table.
import { s, h, idOf } from './dom.js';
import { bytes, time } from './format.js';
import { sizeSeries } from './model.js';

const W = 1000;
const H = 150;
const LEFT = 90;
const RIGHT = 24;
const TOP = 12;
const BOTTOM = 124;

function describe(series) {
  if (!series.length) {
    return 'No finished backups yet.';
  }
  return series.map((one) => {
    const sizes = one.points.map((p) => p.size);
    const newest = one.points[one.points.length - 1];
    return `${one.name}: ${one.points.length} backup${one.points.length === 1 ? '' : 's'}, newest ${bytes(newest.size)} `
        + `(${time(newest.t)}), from ${bytes(Math.min(...sizes))} to ${bytes(Math.max(...sizes))}.`;
  }).join(' ');
}

function marker(kind, px, py, cls) {
  if (kind === 'BASE') {
    return s('rect', { class: cls, x: px - 5, y: py - 5, width: 10, height: 10 });
  }
  if (kind === 'DUMP_ALL') {
    return s('path', { class: cls, d: `M${px} ${py - 6} L${px + 6} ${py} L${px} ${py + 6} L${px - 6} ${py} Z` });
  }
  return s('circle', { class: cls, cx: px, cy: py, r: 5 });
}

/** The size chart of one cluster's backups. */
export function sizeChart(entry) {
  const id = idOf(entry.cluster.name);
  const series = sizeSeries(entry.backups);
  const points = series.flatMap((one) => one.points);
  const chart = s('svg', { class: 'chart sizes', viewBox: `0 0 ${W} ${H}`, role: 'img', id: `sizes-${id}`,
    'aria-labelledby': `sz-title-${id}`, 'aria-describedby': `sz-desc-${id}` },
  s('title', { id: `sz-title-${id}`, text: `Backup sizes of cluster ${entry.cluster.name}` }),
  s('desc', { id: `sz-desc-${id}`, text: describe(series) }));
  if (points.length) {
    let t0 = Math.min(...points.map((p) => p.t));
    const t1 = Math.max(...points.map((p) => p.t));
    if (t1 - t0 < 60000) {
      t0 = t1 - 60000;
    }
    const max = Math.max(1, ...points.map((p) => p.size)) * 1.1;
    const x = (t) => LEFT + ((t - t0) / (t1 - t0)) * (W - LEFT - RIGHT - 10) + 5;
    const y = (size) => BOTTOM - (size / max) * (BOTTOM - TOP);
    chart.append(s('g', { class: 'axis', 'aria-hidden': 'true' },
        [0, 0.5, 1].map((f) => [s('line', { x1: LEFT, x2: W - RIGHT, y1: y(max * f / 1.1), y2: y(max * f / 1.1) }),
          s('text', { x: LEFT - 6, y: y(max * f / 1.1) + 4, 'text-anchor': 'end', text: bytes(Math.round(max * f / 1.1)) })]),
        s('text', { x: LEFT, y: H - 6, text: time(t0).slice(0, 16) }),
        s('text', { x: W - RIGHT, y: H - 6, 'text-anchor': 'end', text: time(t1).slice(0, 16) })));
    series.forEach((one, i) => {
      const cls = `s${Math.min(i, 5)}`;
      chart.append(s('g', { class: 'series', 'data-series': one.name },
          s('polyline', { class: `series-line ${cls}`, points: one.points.map((p) => `${x(p.t)},${y(p.size)}`).join(' ') }),
          one.points.map((p) => {
            const m = marker(one.kind, x(p.t), y(p.size), p.backup.sizeAnomaly ? 'mark failed' : 'mark passed');
            m.append(s('title', { text: `${one.name}, ${time(p.t)}: ${bytes(p.size)}`
                + `${p.backup.sizeAnomaly ? ` (${p.backup.sizeAnomaly})` : ''}` }));
            return m;
          })));
    });
  }
  const legend = h('ul', { class: 'legend' }, series.map((one, i) => h('li', {},
      s('svg', { width: 22, height: 12, viewBox: '0 0 22 12', 'aria-hidden': 'true' },
          s('line', { class: `series-line s${Math.min(i, 5)}`, x1: 0, x2: 22, y1: 6, y2: 6 })), one.name)),
  series.some((one) => one.points.some((p) => p.backup.sizeAnomaly)) ? h('li', {}, 'red marks: size anomaly') : null);
  return h('figure', {}, h('figcaption', { text: 'Backup sizes over time' }),
      points.length ? [chart, legend] : h('p', { class: 'muted', text: describe(series) }));
}
