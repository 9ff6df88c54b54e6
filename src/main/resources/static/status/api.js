// The public API, read with the token the user typed in. The token lives in this tab's sessionStorage only:
// it is sent as a bearer header with every request and never put in a URL, a cookie or localStorage.
const KEY = 'pgvault.status.token';

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (value) => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY),
};

/** An answer other than 2xx, with the problem's detail when the server gave one. */
export class ApiError extends Error {
  constructor(status, path, detail) {
    super(`${path}: ${status}${detail ? ` (${detail})` : ''}`);
    this.status = status;
    this.detail = detail;
  }
}

/** GET /api/v1/<path>, relative to the page, so that a proxy's path prefix is kept. */
export async function get(path) {
  const url = new URL(`../api/v1/${path}`, document.baseURI);
  const answer = await fetch(url, {
    headers: { Authorization: `Bearer ${token.get()}`, Accept: 'application/json' },
    cache: 'no-store',
    credentials: 'omit',
    redirect: 'error',
  });
  if (!answer.ok) {
    let detail = null;
    try {
      detail = (await answer.json()).detail;
    } catch (e) {
      // no problem body: the status says enough
    }
    throw new ApiError(answer.status, `/api/v1/${path}`, detail);
  }
  return answer.json();
}

/** Everything the page shows, read in parallel: the global answers, then each cluster's archive and backups. */
export async function readAll() {
  const [status, clusters, repositories, running, queued] = await Promise.all([
    get('status'), get('clusters'), get('repositories'),
    get('jobs?status=RUNNING&size=100'), get('jobs?status=QUEUED&size=100'),
  ]);
  const perCluster = await Promise.all(clusters.map(async (c) => {
    const name = encodeURIComponent(c.name);
    const [wal, backups] = await Promise.all([get(`clusters/${name}/wal`), get(`backups?cluster=${name}&size=200`)]);
    return { cluster: c, wal, backups: backups.content };
  }));
  return { status, repositories, jobs: [...running.content, ...queued.content], clusters: perCluster };
}
