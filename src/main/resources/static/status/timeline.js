// The recovery window as a timeline: backups as marks (shape by kind, size by type, fill by verification), the
// archived WAL with its gaps in red, the window a recovery can reach, the proven part when a proof runs, and now.
// Its text alternative is the figure's description (read by screen readers) and the tables below it.
import { s, h, idOf } from './dom.js';
import { bytes, duration, time, plural, shortId } from './format.js';
import { timelineBackups, proofOf } from './model.js';

const W = 1000;
const H = 172;
const LEFT = 130;
const RIGHT = 24;
const LANES = { backups: [14, 56], wal: [70, 92], window: [106, 128] };
const AXIS_Y = 140;
const STEPS = [60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400, 30 * 86400];

const ms = (value) => (value ? new Date(value).getTime() : null);

/** The window a recovery can reach: the proof's "covered" figure when the API gives it, else the catalog's. */
export function windowOf(wal) {
  return (wal.window && wal.window.covered) || wal.recoveryWindow || null;
}

function domain(entry, now) {
  const times = [now];
  timelineBackups(entry.backups).forEach((b) => times.push(ms(b.startedAt), ms(b.finishedAt)));
  (entry.wal.timelines || []).forEach((t) => {
    times.push(ms(t.firstTime), ms(t.lastTime));
    (t.gaps || []).forEach((g) => times.push(ms(g.fromTime), ms(g.toTime)));
  });
  const w = windowOf(entry.wal);
  if (w) {
    times.push(ms(w.startTime), ms(w.endTime));
  }
  const known = times.filter((t) => t !== null && !Number.isNaN(t));
  let t0 = Math.min(...known);
  let t1 = Math.max(...known);
  if (t1 - t0 < 60000) {
    t0 = t1 - 60000;
  }
  const pad = (t1 - t0) * 0.03;
  return [t0 - pad, t1 + pad];
}

function ticks(t0, t1) {
  const span = (t1 - t0) / 1000;
  const step = (STEPS.find((st) => span / st <= 8) || STEPS[STEPS.length - 1]) * 1000;
  const offset = new Date().getTimezoneOffset() * 60000;
  const first = Math.ceil((t0 - offset) / step) * step + offset;
  const out = [];
  for (let t = first; t <= t1; t += step) {
    out.push(t);
  }
  return { step, ticks: out };
}

function tickLabel(t, step) {
  const text = time(t);
  return step >= 86400000 ? text.slice(5, 10) : text.slice(11, 16);
}

function backupClass(b) {
  if (b.status === 'FAILED' || (b.verification && b.verification.status === 'FAILED')) {
    return 'mark failed';
  }
  if (b.status === 'RUNNING') {
    return 'mark running';
  }
  return b.verification && b.verification.status === 'PASSED' ? 'mark passed' : 'mark unverified';
}

function backupTitle(b) {
  const verification = b.status === 'FAILED' ? `backup FAILED: ${b.error || 'no detail'}`
      : b.status === 'RUNNING' ? 'being taken'
        : `verification ${b.verification ? `${b.verification.status}${b.verification.level
          ? ` (${b.verification.level})` : ''}` : 'unknown'}`;
  return `${b.kind}${b.type ? ` ${b.type}` : ''}${b.database ? ` of ${b.database}` : ''} backup ${shortId(b.id)}, `
      + `${b.finishedAt ? `finished ${time(b.finishedAt)}` : `started ${time(b.startedAt)}`}, ${bytes(b.sizeBytes)}, `
      + verification;
}

/** One backup's mark: BASE a bar over its run (taller: FULL, shorter: DIFF, shortest: INCR), DUMP a circle, DUMP_ALL a diamond. */
export function backupMark(b, x, now, cy) {
  const title = s('title', { text: backupTitle(b) });
  const end = x(ms(b.finishedAt) || now);
  const cls = backupClass(b);
  if (b.kind === 'BASE') {
    const start = Math.min(x(ms(b.startedAt) || ms(b.finishedAt)), end - 8);
    const height = { DIFF: 22, INCR: 14 }[b.type] || 30;
    return s('rect', { class: cls, x: start, y: cy - height / 2, width: Math.max(8, end - start), height,
      'data-kind': b.kind, 'data-id': b.id }, title);
  }
  if (b.kind === 'DUMP_ALL') {
    return s('path', { class: cls, d: `M${end} ${cy - 9} L${end + 9} ${cy} L${end} ${cy + 9} L${end - 9} ${cy} Z`,
      'data-kind': b.kind, 'data-id': b.id }, title);
  }
  return s('circle', { class: cls, cx: end, cy, r: 7, 'data-kind': b.kind, 'data-id': b.id }, title);
}

function span(cls, x0, x1, lane, minWidth, attrs, title) {
  const width = Math.max(minWidth, x1 - x0);
  const left = x1 - x0 < minWidth ? (x0 + x1) / 2 - minWidth / 2 : x0;
  return s('rect', { class: cls, x: left, y: lane[0], width, height: lane[1] - lane[0], ...attrs },
      title ? s('title', { text: title }) : null);
}

function gapText(g) {
  return `${plural(g.missingSegments, 'segment')} missing (${g.firstMissing}${g.missingSegments > 1
    ? ` to ${g.lastMissing}` : ''})${g.fromTime && g.toTime ? `, WAL from ${time(g.fromTime)} to ${time(g.toTime)}` : ''}`;
}

function walLane(entry, x) {
  const marks = [];
  for (const t of entry.wal.timelines || []) {
    if (t.firstTime && t.lastTime) {
      marks.push(span('wal', x(ms(t.firstTime)), x(ms(t.lastTime)), LANES.wal, 3, { 'data-timeline': t.timeline },
          `WAL archived on timeline ${t.timeline}: ${time(t.firstTime)} to ${time(t.lastTime)}, `
          + `${plural(t.segments, 'segment')}`));
    }
    for (const g of t.gaps || []) {
      if (g.fromTime && g.toTime) {
        const x0 = x(ms(g.fromTime));
        const x1 = x(ms(g.toTime));
        marks.push(span('gap', x0, x1, [LANES.wal[0] - 4, LANES.wal[1] + 4], 6,
            { 'data-gap': g.firstMissing }, `Gap on timeline ${t.timeline}: ${gapText(g)}`));
        marks.push(s('text', { class: 'gap-label', x: (x0 + x1) / 2, y: LANES.wal[0] - 7, 'text-anchor': 'middle',
          'aria-hidden': 'true', text: 'gap' }));
      }
    }
  }
  return marks;
}

function windowLane(entry, x, proof) {
  const marks = [];
  const w = windowOf(entry.wal);
  if (w && w.startTime && w.endTime) {
    marks.push(span('window', x(ms(w.startTime)), x(ms(w.endTime)), LANES.window, 3, { 'data-window': 'covered' },
        `Recovery window: ${time(w.startTime)} to ${time(w.endTime)}`));
  }
  const proven = entry.wal.window && entry.wal.window.proven;
  if (proven && proven.startTime && proven.endTime) {
    const lane = [LANES.window[0] + 11, LANES.window[1]];
    marks.push(span('proven', x(ms(proven.startTime)), x(ms(proven.endTime)), lane, 3, { 'data-window': 'proven' },
        `Proven by replay: ${time(proven.startTime)} to ${time(proven.endTime)}`));
  }
  if (proof && proof.provenTime) {
    const px = x(ms(proof.provenTime));
    marks.push(s('line', { class: 'proven-line', x1: px, x2: px, y1: LANES.window[0] - 4, y2: LANES.window[1] + 4,
      'data-proven': proof.provenTime }, s('title', { text: `Proven point: ${time(proof.provenTime)}` })));
  }
  return marks;
}

/** The words a screen reader reads for the timeline: everything it draws. */
export function describe(entry, proof) {
  const parts = [];
  const w = windowOf(entry.wal);
  parts.push(w && w.startTime && w.endTime
    ? `Recovery window from ${time(w.startTime)} to ${time(w.endTime)} (${duration((ms(w.endTime) - ms(w.startTime)) / 1000)}).`
    : 'No recovery window: no usable BASE backup with its WAL.');
  for (const t of entry.wal.timelines || []) {
    const gaps = t.gaps || [];
    parts.push(`WAL archive, timeline ${t.timeline}: ${plural(t.segments, 'segment')}`
        + `${t.firstTime ? ` from ${time(t.firstTime)} to ${time(t.lastTime)}` : ''}, `
        + `${gaps.length ? `${plural(gaps.length, 'gap')}: ${gaps.map(gapText).join('; ')}` : 'no gaps'}.`);
  }
  const shown = timelineBackups(entry.backups);
  const counts = {};
  shown.forEach((b) => { counts[b.kind] = (counts[b.kind] || 0) + 1; });
  parts.push(shown.length ? `Backups: ${Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ')}.` : 'No backups.');
  parts.push(!proof ? 'Not proven (proof off).' : proof.provenTime
    ? `Proven by replay up to ${time(proof.provenTime)}.` : `Proof ${proof.state || 'on'}: nothing proven yet.`);
  return parts.join(' ');
}

/** The timeline figure of one cluster. */
export function timeline(entry, now) {
  if (!timelineBackups(entry.backups).length && !(entry.wal.timelines || []).length) {
    return h('figure', { class: 'timeline-figure' }, h('figcaption', { text: 'Recovery timeline' }),
        h('p', { class: 'muted', text: 'Nothing to draw yet: no backup and no archived WAL.' }));
  }
  const id = idOf(entry.cluster.name);
  const proof = proofOf(entry);
  const [t0, t1] = domain(entry, now);
  const x = (t) => LEFT + ((t - t0) / (t1 - t0)) * (W - LEFT - RIGHT);
  const { step, ticks: marks } = ticks(t0, t1);
  const axis = s('g', { class: 'axis', 'aria-hidden': 'true' },
      s('line', { x1: LEFT, x2: W - RIGHT, y1: AXIS_Y, y2: AXIS_Y }),
      marks.map((t) => [s('line', { x1: x(t), x2: x(t), y1: AXIS_Y, y2: AXIS_Y + 5 }),
        s('text', { x: x(t), y: AXIS_Y + 19, 'text-anchor': 'middle', text: tickLabel(t, step) })]));
  const labels = [['backups', 'Backups'], ['wal', 'WAL archive'], ['window', 'Recovery window']].map(([lane, text]) =>
    s('text', { class: 'lane-label', x: 8, y: (LANES[lane][0] + LANES[lane][1]) / 2 + 4, text }));
  const nowX = x(now);
  const chart = s('svg', { class: 'chart timeline', viewBox: `0 0 ${W} ${H}`, role: 'img',
    'aria-labelledby': `tl-title-${id}`, 'aria-describedby': `tl-desc-${id}`, id: `timeline-${id}` },
  s('title', { id: `tl-title-${id}`, text: `Recovery timeline of cluster ${entry.cluster.name}` }),
  s('desc', { id: `tl-desc-${id}`, text: describe(entry, proof) }),
  labels, axis,
  s('g', { class: 'lane-window' }, windowLane(entry, x, proof)),
  s('g', { class: 'lane-wal' }, walLane(entry, x)),
  s('g', { class: 'lane-backups' }, timelineBackups(entry.backups).map((b) => backupMark(b, x, now, 35))),
  s('line', { class: 'now', x1: nowX, x2: nowX, y1: 4, y2: AXIS_Y }),
  s('text', { x: nowX, y: 12, 'text-anchor': 'end', dx: -4, text: 'now', 'aria-hidden': 'true' }));
  return h('figure', { class: 'timeline-figure' },
      h('figcaption', { id: `tl-caption-${id}`, text: 'Recovery timeline' }), chart, legend());
}

function swatch(...children) {
  return s('svg', { width: 22, height: 16, viewBox: '0 0 22 16', 'aria-hidden': 'true' }, children);
}

function legend() {
  return h('ul', { class: 'legend' },
      h('li', {}, swatch(s('rect', { class: 'mark passed', x: 5, y: 1, width: 12, height: 14 })), 'BASE backup (tall: full, shorter: diff, incr)'),
      h('li', {}, swatch(s('circle', { class: 'mark passed', cx: 11, cy: 8, r: 6 })), 'DUMP'),
      h('li', {}, swatch(s('path', { class: 'mark passed', d: 'M11 1 L18 8 L11 15 L4 8 Z' })), 'DUMP_ALL'),
      h('li', {}, swatch(s('circle', { class: 'mark passed', cx: 11, cy: 8, r: 6 })), 'filled: verified'),
      h('li', {}, swatch(s('circle', { class: 'mark unverified', cx: 11, cy: 8, r: 5 })), 'hollow: not verified yet'),
      h('li', {}, swatch(s('circle', { class: 'mark failed', cx: 11, cy: 8, r: 6 })), 'red: failed'),
      h('li', {}, swatch(s('rect', { class: 'wal', x: 0, y: 4, width: 22, height: 8 })), 'WAL archived'),
      h('li', {}, swatch(s('rect', { class: 'gap', x: 6, y: 1, width: 10, height: 14 })), 'WAL gap'),
      h('li', {}, swatch(s('rect', { class: 'window', x: 0, y: 4, width: 22, height: 8 })), 'recovery window'),
      h('li', {}, swatch(s('rect', { class: 'proven', x: 0, y: 4, width: 22, height: 8 })), 'proven by replay'));
}
