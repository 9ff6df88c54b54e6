// The status page: asks for a token once per tab, then reads the public API every 30 s and shows first what is at
// risk, then each cluster (at-risk ones first), then the repositories. A refresh keeps open tables open and the
// keyboard focus where it was.
import { ApiError, readAll, token } from './api.js';
import { clusterSection } from './cluster.js';
import { h, idOf } from './dom.js';
import { bytes, plural, time, zoneName } from './format.js';
import { kindLabel, risksOf } from './model.js';

const REFRESH_MS = 30000;
const $ = (id) => document.getElementById(id);
let timer = null;
let loading = false;

function showLogin(message) {
  token.clear();
  clearTimeout(timer);
  $('controls').hidden = true;
  ['problems-banner', 'cluster-nav', 'clusters', 'repositories'].forEach((id) => $(id).replaceChildren());
  $('load-error').textContent = '';
  $('login').hidden = false;
  $('login-error').textContent = message || '';
  $('updated').textContent = 'Not loaded yet';
  document.title = 'pgvault status';
  $('token').focus();
}

function banner(rows, repositoriesDown) {
  const count = rows.reduce((n, r) => n + r.risks.length, 0) + repositoriesDown.length;
  if (!count) {
    return h('section', { class: 'banner ok', 'aria-labelledby': 'banner-title', 'data-state': 'ok' },
        h('h2', { id: 'banner-title', text: `Nothing at risk: ${plural(rows.length, 'cluster')} protected` }),
        h('p', { text: 'Every cluster is within its RPO with an unbroken WAL archive, its newest backup and drills '
            + 'passed, and every repository is up.' }));
  }
  const atRisk = rows.filter((r) => r.risks.length).length;
  const parts = [atRisk ? `${plural(atRisk, 'cluster')} at risk` : null,
    repositoriesDown.length ? `${plural(repositoriesDown.length, 'repository', 'repositories')} down` : null];
  return h('section', { class: 'banner risk', 'aria-labelledby': 'banner-title', 'data-state': 'risk' },
      h('h2', { id: 'banner-title', text: `${plural(count, 'problem')}: ${parts.filter(Boolean).join(', ')}` }),
      h('ul', {},
          repositoriesDown.map((r) => h('li', { 'data-kind': 'REPOSITORY_DOWN' },
              h('span', { class: 'kind', text: `${kindLabel('REPOSITORY_DOWN')}: ` }),
              `${r.repository}: ${r.detail || 'no detail'}`)),
          rows.flatMap((r) => r.risks.map((risk) => h('li', { 'data-kind': risk.kind, 'data-cluster': r.entry.cluster.name },
              h('a', { href: `#cluster-${idOf(r.entry.cluster.name)}`, text: r.entry.cluster.name }), ' ',
              h('span', { class: 'kind', text: `${kindLabel(risk.kind)}: ` }), risk.detail)))));
}

function nav(rows) {
  if (rows.length < 2) {
    return [];
  }
  return h('ul', {}, rows.map((r) => h('li', {}, h('a', { href: `#cluster-${idOf(r.entry.cluster.name)}` },
      `${r.entry.cluster.name} ${r.risks.length ? `(at risk: ${r.risks.length})` : '(protected)'}`))));
}

function repositoriesTable(repositories, clusters) {
  return h('section', { class: 'cluster', 'aria-labelledby': 'repositories-title' },
      h('h2', { id: 'repositories-title', text: 'Repositories' }),
      h('table', {}, h('thead', {}, h('tr', {}, ['Name', 'Type', 'Location', 'Health', 'Free', 'Checked', 'Used by']
          .map((c, i) => h('th', { scope: 'col', class: i === 4 ? 'num' : null, text: c })))),
      h('tbody', {}, repositories.map((r) => {
        const health = r.health || {};
        const users = clusters.filter((c) => (c.repository || (r.defaultRepository ? r.name : null)) === r.name
            || c.walCopyTo === r.name).map((c) => c.name);
        return h('tr', { 'data-repository': r.name },
            h('th', { scope: 'row', text: `${r.name}${r.defaultRepository ? ' (default)' : ''}` }),
            h('td', { text: r.type }), h('td', { text: r.location }),
            h('td', { class: health.status === 'UP' ? 'good' : 'bad',
              text: `${health.status || 'unknown'}${health.status !== 'UP' && health.detail ? `: ${health.detail}` : ''}` }),
            h('td', { class: 'num', text: health.freeBytes !== undefined && health.freeBytes !== null
              ? bytes(health.freeBytes) : 'not known' }),
            h('td', { text: time(health.checkedAt) }), h('td', { text: users.join(', ') }));
      }))));
}

/** A selector that finds the focused element again in the re-rendered page (by id, its table, or its link). */
function focusKey(element) {
  if (!element || element === document.body) {
    return null;
  }
  if (element.id) {
    return `#${CSS.escape(element.id)}`;
  }
  if (element.tagName === 'SUMMARY' && element.parentElement.id) {
    return `#${CSS.escape(element.parentElement.id)} > summary`;
  }
  const href = element.getAttribute('href');
  const region = element.closest('[id]');
  return href && region ? `#${CSS.escape(region.id)} a[href="${CSS.escape(href)}"]` : null;
}

function render(data) {
  const now = new Date(data.status.checkedAt).getTime();
  const problems = new Map(data.status.clusters.map((c) => [c.cluster, c.problems || []]));
  const rows = data.clusters.map((entry) => ({ entry, risks: risksOf(entry, problems.get(entry.cluster.name) || []) }));
  rows.sort((a, b) => (b.risks.length > 0) - (a.risks.length > 0) || a.entry.cluster.name.localeCompare(b.entry.cluster.name));
  const open = [...document.querySelectorAll('details[open]')].map((d) => d.id);
  const focused = focusKey(document.activeElement);

  $('problems-banner').replaceChildren(banner(rows, data.status.repositoriesDown || []));
  $('cluster-nav').replaceChildren(nav(rows));
  $('clusters').replaceChildren(...(rows.length ? rows.map((r) => clusterSection(r.entry, r.risks, data, now))
    : [h('p', { text: 'No cluster is registered yet.' })]));
  $('repositories').replaceChildren(repositoriesTable(data.repositories, data.clusters.map((e) => e.cluster)));
  open.forEach((id) => { const d = $(id); if (d) d.open = true; });
  const again = focused && document.querySelector(focused);
  if (again && document.activeElement !== again) {
    again.focus();
  }
  $('updated').textContent = `Updated ${time(now)}, times in ${zoneName()}`;
  announce(rows, data.status.repositoriesDown || []);
}

/**
 * The tab's title carries the count, so a background tab shows trouble; a screen reader hears the headline when
 * it changes, not every 30 s.
 */
function announce(rows, repositoriesDown) {
  const count = rows.reduce((n, r) => n + r.risks.length, 0) + repositoriesDown.length;
  document.title = count ? `(${count}) at risk - pgvault status` : 'pgvault status';
  const headline = $('banner-title').textContent;
  if ($('announce').dataset.last !== headline) {
    $('announce').dataset.last = headline;
    $('announce').textContent = headline;
  }
}

async function load() {
  if (loading || !token.get()) {
    return;
  }
  loading = true;
  clearTimeout(timer);
  document.body.setAttribute('aria-busy', 'true');
  try {
    const data = await readAll();
    $('login').hidden = true;
    $('controls').hidden = false;
    $('load-error').textContent = '';
    render(data);
    document.body.dataset.loads = String(Number(document.body.dataset.loads || 0) + 1);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      showLogin('That token was refused (401): it is unknown, revoked or expired.');
      return;
    }
    $('controls').hidden = false;
    $('load-error').textContent = e instanceof ApiError && e.status === 403
      ? `This token's role may not read everything the page shows (403 on ${e.message}); use a VIEWER token or above.`
      : `Could not read the status: ${e.message}. Showing what was read before; ${$('auto').checked ? 'trying again in 30 s' : 'Refresh now tries again'}.`;
  } finally {
    loading = false;
    document.body.removeAttribute('aria-busy');
    if (token.get() && $('auto').checked) {
      timer = setTimeout(load, REFRESH_MS);
    }
  }
}

$('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const value = $('token').value.trim();
  if (!value) {
    return;
  }
  token.set(value);
  $('token').value = '';
  $('login-error').textContent = '';
  load().then(() => { if (!$('login').hidden) return; $('main').focus(); });
});
$('refresh').addEventListener('click', load);
$('forget').addEventListener('click', () => showLogin('The token was forgotten.'));
$('auto').addEventListener('change', () => {
  clearTimeout(timer);
  if ($('auto').checked) {
    timer = setTimeout(load, REFRESH_MS);
  }
});

if (token.get()) {
  load();
} else {
  showLogin('');
}
