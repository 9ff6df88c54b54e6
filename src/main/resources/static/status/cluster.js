// One cluster's section: its risks and the figures an on-call person checks (window, proof, newest backup, WAL,
// repository), the timeline, the newest drill of each kind with its RTO, jobs in progress, the size chart, and
// the tables behind the charts.
import { h, idOf } from './dom.js';
import { ago, bytes, duration, isoSeconds, plural, rto, shortId, time } from './format.js';
import { drillText, kindLabel, lastDrills, proofFailure, proofOf } from './model.js';
import { sizeChart } from './sizes.js';
import { timeline, windowOf } from './timeline.js';

function windowFact(entry, now) {
  const w = windowOf(entry.wal);
  if (!w || !w.startTime || !w.endTime) {
    return h('dd', { class: 'bad' }, 'none: no usable BASE backup with its WAL');
  }
  const behind = (now - new Date(w.endTime).getTime()) / 1000;
  return h('dd', { 'data-fact': 'window' }, `${time(w.startTime)} to ${time(w.endTime)} `
      + `(${duration((new Date(w.endTime) - new Date(w.startTime)) / 1000)}; ends ${duration(Math.max(0, behind))} before now)`
      + `${w.fromBackup ? `, from BASE backup ${shortId(w.fromBackup)}` : ''}${w.endLsn ? `, to LSN ${w.endLsn}` : ''}`);
}

function proofFact(entry) {
  const proof = proofOf(entry);
  if (!proof) {
    return h('dd', { 'data-fact': 'proof' }, 'not proven (proof off)');
  }
  const failure = proofFailure(proof);
  return h('dd', { 'data-fact': 'proof' }, `${proof.mode || ''} ${proof.state || ''}: `,
      proof.provenTime ? `proven up to ${time(proof.provenTime)}` : 'nothing proven yet',
      proof.provenLsn ? ` (LSN ${proof.provenLsn})` : '',
      proof.lagSeconds !== undefined && proof.lagSeconds !== null ? `, ${duration(proof.lagSeconds)} behind the archive` : '',
      failure ? h('span', { class: 'bad' }, `; last failure: ${failure}`) : '');
}

function backupFact(entry, now) {
  const last = entry.cluster.lastBackup;
  const rpo = isoSeconds(entry.cluster.rpo);
  if (!last) {
    return h('dd', { class: 'bad' }, 'none yet');
  }
  const age = (now - new Date(last.finishedAt).getTime()) / 1000;
  const breached = rpo !== null && age > rpo;
  return h('dd', { class: breached ? 'bad' : null }, `${last.kind}, ${ago(last.finishedAt, now)} `
      + `(${time(last.finishedAt)}), ${bytes(last.sizeBytes)}`
      + `${rpo !== null ? `; ${breached ? 'beyond' : 'within'} the RPO of ${duration(rpo)}` : ''}`);
}

function walFact(entry, now) {
  const wal = entry.wal;
  if (!wal.files) {
    return h('dd', {}, entry.cluster.walArchive === 'NONE' ? 'not archived (walArchive NONE)' : 'nothing archived yet');
  }
  const gaps = (wal.timelines || []).reduce((n, t) => n + (t.gaps || []).length, 0);
  return h('dd', {}, `last file ${ago(wal.lastArchivedAt, now)}, ${plural(wal.files, 'file')}, ${bytes(wal.bytes)}, `,
      h('span', { class: gaps ? 'bad' : null, 'data-fact': 'gaps' }, gaps ? plural(gaps, 'gap') : 'no gaps'));
}

function repositoryFact(entry, repositories) {
  const names = [entry.cluster.repository || (repositories.find((r) => r.defaultRepository) || {}).name,
    entry.cluster.walCopyTo].filter(Boolean);
  return h('dd', {}, names.map((name, i) => {
    const r = repositories.find((one) => one.name === name);
    const health = r && r.health;
    const text = `${name}${i > 0 ? ' (WAL copy)' : ''}: ${health ? health.status : 'unknown'}`
        + `${health && health.freeBytes !== undefined && health.freeBytes !== null ? `, ${bytes(health.freeBytes)} free` : ''}`;
    return [i > 0 ? '; ' : '', h('span', { class: health && health.status !== 'UP' ? 'bad' : null }, text)];
  }));
}

function drills(entry) {
  const rows = lastDrills(entry.backups).map(({ kind, backup }) => h('tr', { 'data-drill': kind },
      h('th', { scope: 'row', text: kind }),
      h('td', { text: backup ? time(backup.verification.verifiedAt) : '' }),
      h('td', { class: !backup ? null : backup.verification.status === 'PASSED' ? 'good' : 'bad', text: drillText(backup) }),
      h('td', { class: 'num', text: backup && backup.verification.status === 'PASSED' && backup.drillSeconds !== undefined
        ? rto(backup.drillSeconds) : '' }),
      h('td', { text: backup ? `${shortId(backup.id)}${backup.database ? ` (${backup.database})` : ''}` : '' })));
  return h('section', { 'aria-labelledby': `drills-${idOf(entry.cluster.name)}` },
      h('h3', { id: `drills-${idOf(entry.cluster.name)}`, text: 'Newest restore drill of each kind' }),
      h('table', {}, h('thead', {}, h('tr', {}, ['Kind', 'When', 'Result', 'RTO', 'Backup'].map((c, i) =>
        h('th', { scope: 'col', class: i === 3 ? 'num' : null, text: c })))), h('tbody', {}, rows)));
}

function jobs(entry, all, now) {
  const mine = all.filter((j) => j.cluster === entry.cluster.name);
  const id = idOf(entry.cluster.name);
  return h('section', { 'aria-labelledby': `jobs-${id}` },
      h('h3', { id: `jobs-${id}`, text: `Jobs in progress (${mine.length})` }),
      mine.length ? h('ul', { class: 'plain' }, mine.map((j) => {
        const label = `job-${j.id}`;
        const total = j.bytesTotal || 0;
        const done = j.bytesDone || 0;
        return h('li', { class: 'job', 'data-job': j.id },
            h('div', { id: label }, `${j.type} ${j.status.toLowerCase()}${j.phase ? `: ${j.phase}` : ''}, `
                + `${total ? `${bytes(done)} of ${bytes(total)} (${Math.floor((100 * done) / total)} %)` : `${bytes(done)} so far`}`
                + `${j.startedAt ? `, started ${ago(j.startedAt, now)}` : `, queued ${ago(j.createdAt, now)}`}`
                + `${j.instance ? ` on ${j.instance}` : ''}`),
            j.status === 'RUNNING' ? h('progress', { 'aria-labelledby': label, max: total || null,
              value: total ? Math.min(done, total) : null }) : null);
      })) : h('p', { class: 'muted', text: 'None.' }));
}

function backupsTable(entry) {
  const rows = entry.backups.filter((b) => b.status !== 'DELETED').map((b) => h('tr', {},
      h('td', { text: time(b.finishedAt || b.startedAt || b.queuedAt) }),
      h('td', { text: `${b.kind}${b.type ? ` ${b.type}` : ''}${b.format ? ` ${b.format}` : ''}` }),
      h('td', { text: b.database || '' }),
      h('td', { class: b.status === 'FAILED' ? 'bad' : null, text: b.status }),
      h('td', { class: 'num', text: bytes(b.sizeBytes) }),
      h('td', { class: b.verification && b.verification.status === 'FAILED' ? 'bad' : null,
        text: b.verification ? `${b.verification.status}${b.verification.level ? ` (${b.verification.level})` : ''}` : '' }),
      h('td', { class: 'num', text: b.drillSeconds !== undefined && b.drillSeconds !== null ? rto(b.drillSeconds) : '' }),
      h('td', { text: shortId(b.id) })));
  return h('details', { id: `backups-${idOf(entry.cluster.name)}` },
      h('summary', { text: `Backups as a table (${rows.length})` }),
      h('table', {}, h('thead', {}, h('tr', {}, ['Finished', 'Kind', 'Database', 'Status', 'Size', 'Verification',
        'Drill', 'Id'].map((c) => h('th', { scope: 'col', text: c })))), h('tbody', {}, rows)));
}

function walTable(entry) {
  const rows = (entry.wal.timelines || []).flatMap((t) => [h('tr', {},
      h('td', { text: String(t.timeline) }), h('td', { text: `${t.firstSegment} to ${t.lastSegment}` }),
      h('td', { text: t.firstTime ? `${time(t.firstTime)} to ${time(t.lastTime)}` : '' }),
      h('td', { text: `${t.segments} archived` }))]
      .concat((t.gaps || []).map((g) => h('tr', { class: 'gap-row', 'data-gap': g.firstMissing },
          h('td', { text: String(t.timeline) }),
          h('td', { class: 'bad', text: `GAP ${g.firstMissing}${g.missingSegments > 1 ? ` to ${g.lastMissing}` : ''}` }),
          h('td', { class: 'bad', text: g.fromTime ? `${time(g.fromTime)} to ${time(g.toTime)}` : 'unknown' }),
          h('td', { class: 'bad', text: `${plural(g.missingSegments, 'segment')} missing` })))));
  return h('details', { id: `wal-${idOf(entry.cluster.name)}` },
      h('summary', { text: 'WAL archive as a table' }),
      h('table', {}, h('thead', {}, h('tr', {}, ['Timeline', 'Segments', 'WAL time', 'Count'].map((c) =>
        h('th', { scope: 'col', text: c })))), h('tbody', {}, rows)));
}

/** The whole section of one cluster. */
export function clusterSection(entry, risks, data, now) {
  const id = idOf(entry.cluster.name);
  const c = entry.cluster;
  return h('section', { class: 'cluster', id: `cluster-${id}`, 'aria-labelledby': `title-${id}`, 'data-cluster': c.name,
    tabindex: '-1' },
      h('h2', { id: `title-${id}` }, c.name, h('span', { class: `badge ${risks.length ? 'risk' : 'ok'}` },
          risks.length ? `At risk (${risks.length})` : 'Protected')),
      risks.length ? h('ul', { class: 'problems' }, risks.map((r) =>
        h('li', { 'data-kind': r.kind }, h('span', { class: 'kind', text: `${kindLabel(r.kind)}: ` }), r.detail))) : null,
      h('dl', { class: 'facts' },
          h('dt', { text: 'Recovery window' }), windowFact(entry, now),
          h('dt', { text: 'Proven' }), proofFact(entry),
          h('dt', { text: 'Newest backup' }), backupFact(entry, now),
          h('dt', { text: 'WAL archive' }), walFact(entry, now),
          h('dt', { text: 'Repository' }), repositoryFact(entry, data.repositories),
          h('dt', { text: 'Server' }), h('dd', { class: c.reachable === false ? 'bad' : null },
              `${c.host}:${c.port}, PostgreSQL ${c.serverVersion || 'unknown'}, `
              + `${c.reachable === false ? 'NOT reachable' : 'reachable'}`)),
      timeline(entry, now),
      h('div', { class: 'columns' }, drills(entry), jobs(entry, data.jobs, now)),
      sizeChart(entry),
      backupsTable(entry),
      walTable(entry));
}
