// What the page derives from the API's answers: the newest drill of each backup kind, the risks the page adds to
// the server's own judgement (GET /status), the proof's state, and the series of the size chart.
import { rto } from './format.js';

export const KIND_LABELS = {
  RPO_BREACHED: 'RPO breached',
  BACKUP_FAILED: 'Backup failed',
  VERIFICATION_FAILED: 'Verification failed',
  WAL_ARCHIVE_LAG: 'WAL archive lagging',
  WAL_ARCHIVE_FAILING: 'archive_command failing',
  WAL_ARCHIVE_GAP: 'WAL archive gap',
  WAL_COPY_LAG: 'WAL copy lagging',
  DRILL_FAILED: 'Restore drill failed',
  UNREACHABLE: 'Cluster unreachable',
  PROOF_FAILED: 'Proof failing',
  REPOSITORY_DOWN: 'Repository down',
};

export function kindLabel(kind) {
  return KIND_LABELS[kind] || String(kind).toLowerCase().replaceAll('_', ' ');
}

const BACKUP_KINDS = ['BASE', 'DUMP', 'DUMP_ALL'];

/** Per backup kind present (BASE and DUMP always), the newest restore drill, or null when none ran. */
export function lastDrills(backups) {
  const kinds = new Set(['BASE', 'DUMP']);
  backups.forEach((b) => kinds.add(b.kind));
  return BACKUP_KINDS.filter((k) => kinds.has(k)).map((kind) => {
    const drilled = backups.filter((b) => b.kind === kind && b.verification && b.verification.level === 'RESTORE'
        && b.verification.verifiedAt);
    drilled.sort((a, b) => new Date(b.verification.verifiedAt) - new Date(a.verification.verifiedAt));
    return { kind, backup: drilled[0] || null };
  });
}

/** The proof as the API shows it (the archive summary's, else the cluster's); null when there is none. */
export function proofOf(entry) {
  const proven = entry.wal && entry.wal.proven;
  const proof = (entry.wal && entry.wal.proof) || entry.cluster.proof || (proven ? {
    mode: proven.mode, state: proven.state, provenTime: proven.provenTime, provenLsn: proven.provenLsn,
    lastFailure: proven.state === 'FAILED'
      ? { segment: proven.failedSegment, reason: 'replay stopped there', at: proven.lastRunAt } : null,
  } : null);
  return proof && (proof.mode !== 'OFF' || proof.state) ? proof : null;
}

function describeFailure(failure) {
  if (!failure) {
    return '';
  }
  if (typeof failure === 'string') {
    return failure;
  }
  return [failure.segment, failure.reason || failure.detail || failure.message, failure.at]
      .filter(Boolean).join(': ');
}

/** The proof's last failure in words. */
export function proofFailure(proof) {
  return describeFailure(proof && proof.lastFailure);
}

/**
 * Every risk of one cluster: the server's problems first, then what the page sees itself: a cluster it cannot
 * reach, a newest drill that failed (the server judges only the newest backup's verification), a failing proof.
 */
export function risksOf(entry, serverProblems) {
  const risks = serverProblems.map((p) => ({ kind: p.kind, detail: p.detail }));
  if (entry.cluster.reachable === false) {
    risks.push({ kind: 'UNREACHABLE', detail: `pgvault cannot connect to ${entry.cluster.host}:${entry.cluster.port}` });
  }
  for (const drill of lastDrills(entry.backups)) {
    const b = drill.backup;
    if (b && b.verification.status === 'FAILED' && !risks.some((r) => r.detail.includes(b.id))) {
      risks.push({ kind: 'DRILL_FAILED', detail: `the newest ${drill.kind} restore drill (backup ${b.id}) failed: `
          + `${b.verification.detail || 'no detail'}` });
    }
  }
  const proof = proofOf(entry);
  if (proof && /FAIL|ERROR|STOP|BROKEN/i.test(String(proof.state || ''))
      && !risks.some((r) => String(r.kind).includes('PROOF'))) {
    risks.push({ kind: 'PROOF_FAILED', detail: `the proof is ${proof.state}${proofFailure(proof)
        ? `: ${proofFailure(proof)}` : ''}` });
  }
  return risks;
}

/** The drill's outcome in words: a passed drill measured the RTO; a failed one only how long it ran. */
export function drillText(backup) {
  if (!backup) {
    return 'no drill yet';
  }
  const seconds = backup.drillSeconds !== undefined && backup.drillSeconds !== null ? backup.drillSeconds : null;
  if (backup.verification.status === 'PASSED') {
    return seconds === null ? 'passed' : `passed, RTO ${rto(seconds)}`;
  }
  return `FAILED${seconds === null ? '' : ` after ${rto(seconds)}`}: ${backup.verification.detail || 'no detail'}`;
}

/** The size chart's series: one per kind and database (a DUMP of each database is its own trend). */
export function sizeSeries(backups) {
  const series = new Map();
  backups.filter((b) => (b.status === 'SUCCEEDED' || b.status === 'EXPIRED') && b.finishedAt && b.sizeBytes >= 0)
      .forEach((b) => {
        const name = b.kind === 'DUMP' ? `DUMP ${b.database}` : b.kind;
        if (!series.has(name)) {
          series.set(name, { name, kind: b.kind, points: [] });
        }
        series.get(name).points.push({ t: new Date(b.finishedAt).getTime(), size: b.sizeBytes, backup: b });
      });
  const all = [...series.values()];
  all.forEach((one) => one.points.sort((a, b) => a.t - b.t));
  return all.sort((a, b) => a.name.localeCompare(b.name));
}

/** The backups the recovery timeline marks: those that exist or are being taken, and the failed ones. */
export function timelineBackups(backups) {
  return backups.filter((b) => ['SUCCEEDED', 'RUNNING', 'FAILED'].includes(b.status) && (b.finishedAt || b.startedAt));
}
