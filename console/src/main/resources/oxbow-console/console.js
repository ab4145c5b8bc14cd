// Oxbow web console: plain JS, no build step. Everything comes from the public API with the user's own
// token (kept in sessionStorage, so it leaves with the tab). Views are re-rendered from data, never patched.
'use strict';

const PG = '/api/2.0/postgres/';
const OX = '/api/2.0/oxbow/';
const app = document.getElementById('app');
const state = { info: null, project: null, branches: [], selected: null, endpoints: [], timer: null };

// ---------- small helpers ----------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c.nodeType ? c : String(c));
  return el;
}

function svg(tag, attrs = {}, text) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

function token() { return sessionStorage.getItem('oxbow.token'); }

function showError(message) {
  const box = document.getElementById('error');
  box.textContent = message;
  box.hidden = !message;
}

class ApiError extends Error {}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { 'Authorization': 'Bearer ' + token(), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let data = {};
  try { data = text ? JSON.parse(text) : {}; } catch { data = { message: text }; }
  if (res.status === 401) { signOut(); throw new ApiError('Signed out: ' + (data.message || 'token rejected')); }
  if (!res.ok) throw new ApiError((data.error_code ? data.error_code + ': ' : '') + (data.message || res.statusText));
  return data;
}

/** Every page of a list call, following next_page_token (page_size 100, the API's maximum). */
async function listAll(path, key) {
  const items = [];
  let page = '';
  do {
    const sep = path.includes('?') ? '&' : '?';
    const data = await api('GET', path + sep + 'page_size=100' + (page ? '&page_token=' + encodeURIComponent(page) : ''));
    items.push(...(data[key] || []));
    page = data.next_page_token;
  } while (page);
  return items;
}

/** Waits for a long-running operation; throws its error message if it failed. */
async function waitFor(op, status) {
  while (!op.done) {
    if (status) status.textContent = 'Working… (' + op.name.split('/').slice(-1)[0] + ')';
    await new Promise(r => setTimeout(r, 800));
    op = await api('GET', PG + op.name);
  }
  const log = document.getElementById('operations');
  if (log && state.project) loadOperations(log);
  if (op.error) throw new ApiError(op.error.error_code + ': ' + op.error.message);
  if (status) status.textContent = '';
  return op.response;
}

/** Runs an action from a button: disables it meanwhile and shows any error in the banner. */
async function act(button, fn) {
  showError('');
  if (button) button.disabled = true;
  try { return await fn(); } catch (e) { showError(e.message); } finally { if (button) button.disabled = false; }
}

function ago(time) {
  if (!time) return '';
  const s = Math.round((Date.parse(time) - Date.now()) / 1000);
  const abs = Math.abs(s);
  const text = abs < 90 ? abs + ' s' : abs < 5400 ? Math.round(abs / 60) + ' min' : abs < 129600 ? Math.round(abs / 3600) + ' h' : Math.round(abs / 86400) + ' d';
  return s < 0 ? text + ' ago' : 'in ' + text;
}

function seconds(duration) { return parseFloat(String(duration || '0').replace(/s$/, '')) || 0; }

/** A datetime-local value (local time) for a Date, to the second. */
function localInput(d) {
  const p = n => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

async function copyText(text) {
  try { await navigator.clipboard.writeText(text); return true; } catch {
    // headless or insecure origins have no clipboard API: fall back to a selected textarea
    const ta = h('textarea', {}, text); document.body.append(ta); ta.select();
    const ok = document.execCommand('copy'); ta.remove(); return ok;
  }
}

// ---------- routing ----------

window.addEventListener('hashchange', route);
document.getElementById('sign-out').addEventListener('click', signOut);
route();

function signOut() {
  sessionStorage.removeItem('oxbow.token');
  state.info = null;
  location.hash = '#/';
  route();
}

async function route() {
  clearInterval(state.timer);
  showError('');
  if (!token()) return signIn();
  if (!state.info) {
    try { state.info = await api('GET', OX + 'connection-info'); } catch (e) { return signIn(e.message); }
  }
  document.getElementById('who').textContent = state.info.user_name;
  document.getElementById('sign-out').hidden = false;
  const m = location.hash.match(/^#\/projects\/([^/]+)$/);
  if (m) return projectPage(decodeURIComponent(m[1]));
  return projectsPage();
}

// ---------- sign in ----------

function signIn(message) {
  document.getElementById('who').textContent = '';
  document.getElementById('sign-out').hidden = true;
  const input = h('input', { id: 'token', type: 'password', size: 60, placeholder: 'dapi… personal access token', autocomplete: 'off' });
  const form = h('form', { class: 'card', onsubmit: async e => {
    e.preventDefault();
    sessionStorage.setItem('oxbow.token', input.value.trim());
    state.info = null;
    await route();
  } },
    h('h2', { text: 'Sign in' }),
    h('p', { class: 'muted', text: 'Paste a personal access token (the admin token is in $OXBOW_HOME/admin-token). It stays in this tab only.' }),
    h('div', { class: 'row' }, input, h('button', { id: 'sign-in', class: 'primary', type: 'submit', text: 'Sign in' })));
  app.replaceChildren(form);
  if (message) showError(message);
  sessionStorage.removeItem('oxbow.token');
}

// ---------- projects ----------

async function projectsPage() {
  const list = h('tbody');
  const status = h('span', { class: 'muted' });
  const id = h('input', { id: 'new-project-id', placeholder: 'project id (e.g. my-app)', pattern: '[a-z0-9-]+' });
  const pg = h('select', { id: 'new-project-pg' }, h('option', { value: '17', text: 'PostgreSQL 17' }), h('option', { value: '16', text: 'PostgreSQL 16' }));
  const create = h('button', { id: 'create-project', class: 'primary', text: 'Create project' });
  create.addEventListener('click', () => act(create, async () => {
    const op = await api('POST', PG + 'projects?project_id=' + encodeURIComponent(id.value.trim()), { spec: { pg_version: Number(pg.value) } });
    await waitFor(op, status);
    location.hash = '#/projects/' + encodeURIComponent(id.value.trim());
  }));
  app.replaceChildren(
    h('section', {}, h('h2', { text: 'New project' }), h('div', { class: 'row' }, id, pg, create, status)),
    h('section', {}, h('h2', { text: 'Projects' }),
      h('table', { id: 'projects' }, h('thead', {}, h('tr', {}, h('th', { text: 'Project' }), h('th', { text: 'Postgres' }),
        h('th', { text: 'Owner' }), h('th', { text: 'Created' }))), list)));
  try {
    const projects = await listAll(PG + 'projects', 'projects');
    list.replaceChildren(...projects.map(p => h('tr', {},
      h('td', {}, h('a', { href: '#/projects/' + encodeURIComponent(p.project_id), 'data-project': p.project_id, text: p.status.display_name || p.project_id })),
      h('td', { text: p.status.pg_version }), h('td', { text: p.status.owner }), h('td', { text: ago(p.create_time) }))));
    if (!projects.length) list.append(h('tr', {}, h('td', { colspan: 4, class: 'muted', text: 'No projects yet.' })));
  } catch (e) { showError(e.message); }
}

// ---------- one project ----------

async function projectPage(projectId) {
  state.project = null;
  state.selected = null;
  app.replaceChildren(h('p', { class: 'muted', text: 'Loading ' + projectId + '…' }));
  try {
    state.project = await api('GET', PG + 'projects/' + encodeURIComponent(projectId));
  } catch (e) { app.replaceChildren(); return showError(e.message); }
  const p = state.project;
  const treeBox = h('div', { class: 'tree-wrap', id: 'tree-box' });
  const detail = h('div', { id: 'branch-detail' });
  const opsBox = h('tbody', { id: 'operations' });
  app.replaceChildren(
    h('section', {},
      h('h2', {}, p.status.display_name || p.project_id, ' ', h('span', { class: 'muted', text: 'PostgreSQL ' + p.status.pg_version })),
      h('div', { class: 'muted', text: `history retention ${Math.round(seconds(p.status.history_retention_duration) / 3600)} h · owner ${p.status.owner} · created ${ago(p.create_time)}` })),
    h('div', { class: 'layout' },
      h('section', {}, h('div', { class: 'row' }, h('h3', { text: 'Branches' }),
        h('button', { id: 'refresh', text: 'Refresh', onclick: () => loadBranches(treeBox, detail) })), treeBox),
      detail),
    snapshotsSection(detail),
    h('section', {}, h('div', { class: 'row' }, h('h3', { text: 'Operations' }), h('button', { text: 'Refresh', onclick: () => loadOperations(opsBox) })),
      h('table', {}, h('thead', {}, h('tr', {}, ['When', 'Operation', 'Resource', 'Result'].map(t => h('th', { text: t })))), opsBox)));
  await loadBranches(treeBox, detail);
  loadOperations(opsBox);
  loadSnapshots();
}

// ---------- snapshots: named points of root branches that outlive the history window ----------

function snapshotsSection(detail) {
  const branchId = h('input', { id: 'from-snapshot-branch-id', placeholder: 'branch id for "Branch from"', size: 24 });
  const status = h('span', { class: 'muted', id: 'snapshot-status' });
  const body = h('tbody', { id: 'snapshots' });
  body.addEventListener('click', e => {
    const button = e.target.closest('button[data-action]');
    if (!button) return;
    const name = button.closest('tr').dataset.name;
    act(button, async () => {
      if (button.dataset.action === 'branch') {
        const id = branchId.value.trim();
        if (!id) throw new ApiError('Type an id for the new branch first.');
        await waitFor(await api('POST', PG + state.project.name + '/branches?branch_id=' + encodeURIComponent(id),
          { spec: { source_snapshot: name, no_expiry: true } }), status);
        await loadBranches(document.getElementById('tree-box'), detail);
      } else if (button.dataset.action === 'delete') {
        if (!confirm(`Delete snapshot ${name.split('/').pop()}?`)) return;
        await waitFor(await api('DELETE', PG + name), status);
      }
      loadSnapshots();
    });
  });
  return h('section', {}, h('div', { class: 'row' }, h('h3', { text: 'Snapshots' }), branchId, status),
    h('table', {}, h('thead', {}, h('tr', {}, ['Snapshot', 'Branch', 'Point', 'Size', ''].map(t => h('th', { text: t })))), body));
}

async function loadSnapshots() {
  const body = document.getElementById('snapshots');
  if (!body || !state.project) return;
  try {
    const snaps = await listAll(PG + state.project.name + '/snapshots', 'snapshots');
    body.replaceChildren(...snaps.map(sn => h('tr', { 'data-name': sn.name, 'data-snapshot': sn.snapshot_id },
      h('td', {}, h('code', { text: sn.snapshot_id }), sn.status.scheduled ? ' (scheduled)' : ''),
      h('td', { text: (sn.status.source_branch || '').split('/').pop() }),
      h('td', { text: sn.status.source_branch_time ? new Date(sn.status.source_branch_time).toLocaleString() : sn.status.source_branch_lsn || '',
        title: 'LSN ' + (sn.status.source_branch_lsn || '?') }),
      h('td', { text: Math.round((sn.status.size_bytes || 0) / 1048576) + ' MB' }),
      h('td', {}, h('button', { 'data-action': 'branch', text: 'Branch from' }), ' ', h('button', { 'data-action': 'delete', class: 'danger', text: 'Delete' })))));
    if (!snaps.length) body.replaceChildren(h('tr', {}, h('td', { class: 'muted', colspan: 5, text: 'No snapshots yet: take one from a root branch.' })));
  } catch (e) { showError(e.message); }
}

/** Take-a-snapshot and the schedule, shown for root branches only (snapshots are of root branches). */
function snapshotControls(b, status) {
  if (b.status.source_branch) return null;
  const id = h('input', { id: 'new-snapshot-id', placeholder: 'snapshot id', size: 14 });
  const take = h('button', { id: 'create-snapshot', text: 'Take snapshot' });
  take.addEventListener('click', () => act(take, async () => {
    await waitFor(await api('POST', PG + state.project.name + '/snapshots?snapshot_id=' + encodeURIComponent(id.value.trim()),
      { spec: { source_branch: b.name } }), status);
    loadSnapshots();
  }));
  const schedule = h('select', { id: 'snapshot-schedule', title: 'snapshot schedule' },
    ...['NONE', 'DAILY', 'WEEKLY', 'MONTHLY'].map(f => h('option', { value: f, text: f === 'NONE' ? 'no scheduled snapshots' : f.toLowerCase() + ' snapshots' })));
  api('GET', PG + b.name + '/snapshot-schedule').then(sc => { schedule.value = (sc.spec && sc.spec.frequency) || 'NONE'; }).catch(() => {});
  schedule.addEventListener('change', () => act(schedule, async () => {
    await api('PATCH', PG + b.name + '/snapshot-schedule?update_mask=spec.frequency', { spec: { frequency: schedule.value } });
    status.textContent = 'Schedule: ' + schedule.value.toLowerCase();
  }));
  return h('div', { class: 'row' }, id, take, schedule);
}

async function loadBranches(treeBox, detail) {
  try {
    state.branches = await listAll(PG + state.project.name + '/branches', 'branches');
  } catch (e) { return showError(e.message); }
  const keep = state.selected && state.branches.find(b => b.name === state.selected.name);
  state.selected = keep || state.branches.find(b => b.status.default) || state.branches[0] || null;
  renderTree(treeBox, detail);
  if (state.selected) branchDetail(detail);
}

/**
 * The branch tree as one SVG: a row per branch in depth-first order (children by creation time), an
 * elbow line from each parent. Rendered once per refresh, so hundreds of branches cost one DOM build.
 */
function renderTree(treeBox, detail) {
  const byParent = new Map();
  const names = new Set(state.branches.map(b => b.name));
  for (const b of state.branches) {
    const parent = b.status.source_branch && names.has(b.status.source_branch) ? b.status.source_branch : '';
    if (!byParent.has(parent)) byParent.set(parent, []);
    byParent.get(parent).push(b);
  }
  for (const list of byParent.values()) list.sort((a, b) => (a.create_time || '').localeCompare(b.create_time || ''));
  const rows = [];
  const walk = (parent, depth, parentRow) => {
    for (const b of byParent.get(parent) || []) {
      const row = { b, depth, parentRow };
      rows.push(row);
      walk(b.name, depth + 1, row);
    }
  };
  walk('', 0, null);
  const rowH = 26, indent = 18, width = '100%';
  const root = svg('svg', { id: 'branch-tree', class: 'tree', width, height: rows.length * rowH + 8 });
  rows.forEach((row, i) => {
    row.y = i * rowH + rowH / 2 + 4;
    const x = 10 + row.depth * indent;
    if (row.parentRow) {
      const px = 10 + row.parentRow.depth * indent;
      root.append(svg('path', { d: `M${px} ${row.parentRow.y + 5} V${row.y} H${x - 5}`, fill: 'none', stroke: '#9aa5b1' }));
    }
    const b = row.b;
    const g = svg('g', { 'data-branch': b.branch_id, class: state.selected && state.selected.name === b.name ? 'sel' : '' });
    g.append(svg('rect', { class: 'hit', x: 0, y: row.y - rowH / 2, width, height: rowH }));
    g.append(svg('circle', { cx: x, cy: row.y, r: 5, fill: b.status.default ? '#1a73e8' : b.status.current_state === 'READY' ? '#188038' : '#9aa5b1' }));
    g.append(svg('text', { x: x + 10, y: row.y + 4 }, b.branch_id));
    const badges = [];
    if (b.status.default) badges.push('default');
    if (b.status.is_protected) badges.push('protected');
    if (b.status.current_state !== 'READY') badges.push(b.status.current_state);
    if (b.status.source_branch_time) badges.push('from ' + new Date(b.status.source_branch_time).toLocaleString());
    else if (b.status.source_branch_lsn) badges.push('from LSN ' + b.status.source_branch_lsn);
    if (b.status.expire_time) badges.push('expires ' + ago(b.status.expire_time));
    g.append(svg('text', { class: 'badge', x: x + 18 + b.branch_id.length * 7.5, y: row.y + 4 }, badges.join(' · ')));
    const title = svg('title', {}, `${b.name}\ncreated ${b.create_time}` + (b.status.source_branch ? `\nparent ${b.status.source_branch}` : ''));
    g.append(title);
    g.addEventListener('click', () => { state.selected = b; renderTree(treeBox, detail); branchDetail(detail); });
    root.append(g);
  });
  treeBox.replaceChildren(root);
}

async function loadOperations(box) {
  try {
    const data = await api('GET', OX + 'projects/' + encodeURIComponent(state.project.project_id) + '/operations?page_size=50');
    box.replaceChildren(...(data.operations || []).map(op => h('tr', {},
      h('td', { text: ago(op.create_time), title: op.create_time }), h('td', { text: op.kind }), h('td', { text: op.resource }),
      h('td', { class: op.error ? 'state-FAILED' : '', text: !op.done ? 'running' : op.error ? op.error.message : 'done' }))));
  } catch (e) { showError(e.message); }
}

// ---------- one branch ----------

/** Where a branch's history lives (status.history, an Oxbow extension) and how far its WAL has reached the bucket. */
function historyLocation(hist) {
  if (!hist || !hist.location || hist.location === 'local') return 'History: this machine\'s disk only (no object store configured).';
  const parts = [`History: local disk and ${hist.location}`];
  if (hist.object_store_reachable === false) parts.push('object store UNREACHABLE, WAL kept locally' + (hist.last_error ? ` (${hist.last_error})` : ''));
  if (hist.wal_shipped_lsn) parts.push(`WAL shipped to ${hist.wal_shipped_lsn}` + (hist.wal_shipped_time ? ` ${ago(hist.wal_shipped_time)}` : ''));
  if (hist.bucket_wal_bytes !== undefined) parts.push(`${(hist.bucket_wal_bytes / 1048576).toFixed(1)} MB of WAL in the bucket`);
  if (hist.wal_backlog_files) parts.push(`${hist.wal_backlog_files} segment(s) waiting`);
  if (hist.synchronous) parts.push('synchronous: commits wait for the bucket');
  return parts.join(' · ') + '.';
}

function branchDetail(detail) {
  clearInterval(state.timer);
  const b = state.selected;
  const retention = seconds(state.project.status.history_retention_duration);
  const now = new Date();
  const earliest = new Date(Math.max(now.getTime() - retention * 1000, Date.parse(b.create_time || now)));
  const status = h('span', { class: 'muted' });
  const refreshAll = () => projectPage(state.project.project_id);

  // create a child branch, from head or from a point in time
  const childId = h('input', { id: 'new-branch-id', placeholder: 'new branch id' });
  const fromTime = h('input', { id: 'new-branch-time', type: 'datetime-local', step: 1, min: localInput(earliest), max: localInput(now), disabled: true });
  const mode = h('select', { id: 'new-branch-from', onchange: () => { fromTime.disabled = mode.value !== 'time'; } },
    h('option', { value: 'head', text: 'from head' }), h('option', { value: 'time', text: 'from a point in time' }));
  const expiry = h('select', { id: 'new-branch-expiry' }, h('option', { value: '', text: 'never expires' }),
    ...[['3600s', 'expires in 1 h'], ['86400s', 'expires in 1 day'], ['604800s', 'expires in 7 days']].map(([v, t]) => h('option', { value: v, text: t })));
  // Oxbow extension: masked with the project's masking rules; a child of a masked branch is always masked
  const masked = h('input', { id: 'new-branch-masked', type: 'checkbox', checked: !!b.status.masked, disabled: !!b.status.masked });
  const maskedLabel = h('label', { title: "Apply the project's masking rules before the branch serves" }, masked, ' masked');
  const createBranch = h('button', { id: 'create-branch', class: 'primary', text: 'Create branch' });
  createBranch.addEventListener('click', () => act(createBranch, async () => {
    const spec = { source_branch: b.name };
    if (mode.value === 'time') {
      if (!fromTime.value) throw new ApiError('Pick a time within the retention window.');
      spec.source_branch_time = new Date(fromTime.value).toISOString();
    }
    if (expiry.value) spec.ttl = expiry.value; else spec.no_expiry = true;
    if (masked.checked && !b.status.masked) spec.masked = true;
    const op = await api('POST', PG + state.project.name + '/branches?branch_id=' + encodeURIComponent(childId.value.trim()), { spec });
    await waitFor(op, status);
    const created = childId.value.trim();
    await loadBranches(document.getElementById('tree-box'), detail);
    const nb = state.branches.find(x => x.branch_id === created);
    if (nb) { state.selected = nb; renderTree(document.getElementById('tree-box'), detail); branchDetail(detail); }
  }));

  // restore in place to a point in time, reset from parent
  const restoreTime = h('input', { id: 'restore-time', type: 'datetime-local', step: 1, min: localInput(earliest), max: localInput(now) });
  const restore = h('button', { id: 'restore-branch', text: 'Restore to this time' });
  restore.addEventListener('click', () => act(restore, async () => {
    if (!restoreTime.value) throw new ApiError('Pick a time within the retention window.');
    if (!confirm(`Restore ${b.branch_id} to ${restoreTime.value}? Its current state is kept as a branch ${b.branch_id}_old_<timestamp>.`)) return;
    await waitFor(await api('POST', PG + b.name + ':restore', { source_branch_time: new Date(restoreTime.value).toISOString() }), status);
    refreshAll();
  }));
  const reset = h('button', { id: 'reset-branch', text: 'Reset from parent', disabled: !b.status.source_branch });
  reset.addEventListener('click', () => act(reset, async () => {
    if (!confirm(`Reset ${b.branch_id} to the latest state of ${b.status.source_branch}? Changes on ${b.branch_id} are lost.`)) return;
    await waitFor(await api('POST', PG + b.name + ':reset', {}), status);
    refreshAll();
  }));
  const del = h('button', { id: 'delete-branch', class: 'danger', text: 'Delete branch', disabled: b.status.default || b.status.is_protected });
  del.addEventListener('click', () => act(del, async () => {
    if (!confirm(`Delete branch ${b.branch_id} and its computes?`)) return;
    await waitFor(await api('DELETE', PG + b.name), status);
    state.selected = null;
    refreshAll();
  }));

  const endpointsBox = h('div', { id: 'endpoints' }, h('p', { class: 'muted', text: 'Loading endpoints…' }));
  const newEpId = h('input', { id: 'new-endpoint-id', placeholder: 'endpoint id', size: 14 });
  const newEpType = h('select', { id: 'new-endpoint-type' }, h('option', { value: 'ENDPOINT_TYPE_READ_WRITE', text: 'read-write' }),
    h('option', { value: 'ENDPOINT_TYPE_READ_ONLY', text: 'read replica' }));
  const newMin = h('input', { type: 'number', step: 0.5, min: 0.5, value: 0.5, size: 4, title: 'min CU' });
  const newMax = h('input', { type: 'number', step: 0.5, min: 0.5, value: 2, size: 4, title: 'max CU' });
  const createEp = h('button', { id: 'create-endpoint', text: 'Create endpoint' });
  createEp.addEventListener('click', () => act(createEp, async () => {
    await waitFor(await api('POST', PG + b.name + '/endpoints?endpoint_id=' + encodeURIComponent(newEpId.value.trim()), { spec: {
      endpoint_type: newEpType.value, autoscaling_limit_min_cu: Number(newMin.value), autoscaling_limit_max_cu: Number(newMax.value) } }), status);
    loadEndpoints(b, endpointsBox);
  }));

  detail.replaceChildren(
    h('section', { id: 'branch-panel', 'data-branch': b.branch_id },
      h('h3', {}, 'Branch ', h('code', { text: b.branch_id }), ' ', h('span', { class: 'state state-' + b.status.current_state, text: b.status.current_state })),
      h('div', { class: 'muted' }, [
        b.status.source_branch ? `parent ${b.status.source_branch.split('/').pop()}` : 'root branch',
        b.status.source_branch_time ? `branched at ${b.status.source_branch_time}` : b.status.source_branch_lsn ? `branched at LSN ${b.status.source_branch_lsn}` : null,
        b.status.expire_time ? `expires ${b.status.expire_time} (${ago(b.status.expire_time)})` : 'no expiry',
        b.status.is_protected ? 'protected' : null, b.status.default ? 'default' : null,
        b.status.masked ? (b.status.masked_time ? `masked since ${b.status.masked_time}` : 'masking…') : null,
        `created ${ago(b.create_time)}`].filter(Boolean).join(' · ')),
      h('div', { class: 'row' }, childId, mode, fromTime, expiry, maskedLabel, createBranch),
      h('div', { class: 'row' }, restoreTime, restore, reset, del, status),
      snapshotControls(b, status),
      h('p', { class: 'muted', text: `Points in time: ${earliest.toLocaleString()} … now (history retention).` }),
      h('p', { id: 'branch-history-location', class: 'muted', text: historyLocation(b.status.history) })),
    h('section', {}, h('h3', { text: 'Endpoints' }), endpointsBox,
      h('div', { class: 'row' }, newEpId, newEpType, 'CU', newMin, '–', newMax, createEp)),
    feedsView(b),
    diffView(b),
    sqlEditor(b));
  loadEndpoints(b, endpointsBox);
  // endpoints of the shown branch only: one list call (plus one history call each) every 10 s
  state.timer = setInterval(() => { if (document.visibilityState === 'visible') loadEndpoints(b, endpointsBox, true); }, 10000);
}

async function loadEndpoints(b, box, quiet) {
  let endpoints;
  try {
    endpoints = await listAll(PG + b.name + '/endpoints', 'endpoints');
  } catch (e) { if (!quiet) showError(e.message); return; }
  state.endpoints = endpoints;
  const sqlSelect = document.getElementById('sql-endpoint');
  if (sqlSelect && !quiet) sqlSelect.replaceChildren(...endpoints.map(e => h('option', { value: e.name, text: e.endpoint_id })));
  if (!endpoints.length) return box.replaceChildren(h('p', { class: 'muted', text: 'No endpoints on this branch.' }));
  // keep an open connection panel across refreshes
  const open = new Map([...box.querySelectorAll('.endpoint')].map(card => [card.dataset.endpoint, card.querySelector('.conn-box')]));
  box.replaceChildren(...endpoints.map(e => endpointCard(b, e, box, open.get(e.endpoint_id))));
}

function endpointCard(b, e, box, connBox) {
  const s = e.status;
  const graph = h('div', { class: 'graph-box' });
  const status = h('span', { class: 'muted' });
  const min = h('input', { type: 'number', step: 0.5, min: 0.5, value: s.autoscaling_limit_min_cu, size: 4, 'data-field': 'min' });
  const max = h('input', { type: 'number', step: 0.5, min: 0.5, value: s.autoscaling_limit_max_cu, size: 4, 'data-field': 'max' });
  const resize = h('button', { 'data-action': 'resize', text: 'Resize' });
  resize.addEventListener('click', () => act(resize, async () => {
    await waitFor(await api('PATCH', PG + e.name + '?update_mask=spec.autoscaling_limit_min_cu,spec.autoscaling_limit_max_cu',
      { spec: { autoscaling_limit_min_cu: Number(min.value), autoscaling_limit_max_cu: Number(max.value) } }), status);
    loadEndpoints(b, box);
  }));
  const suspend = h('button', { 'data-action': 'suspend', text: 'Suspend', disabled: s.current_state !== 'ACTIVE' });
  suspend.addEventListener('click', () => act(suspend, async () => {
    await api('POST', OX + 'endpoints/' + e.uid + ':suspend');
    loadEndpoints(b, box);
  }));
  const del = h('button', { 'data-action': 'delete', class: 'danger', text: 'Delete' });
  del.addEventListener('click', () => act(del, async () => {
    if (!confirm(`Delete endpoint ${e.endpoint_id}?`)) return;
    await waitFor(await api('DELETE', PG + e.name), status);
    loadEndpoints(b, box);
  }));
  const conn = connBox || h('div', { class: 'conn-box' });
  const connect = h('button', { 'data-action': 'connect', class: 'primary', text: 'Connection string' });
  connect.addEventListener('click', () => act(connect, () => connectionString(e, conn)));
  const card = h('div', { class: 'card endpoint', 'data-endpoint': e.endpoint_id },
    h('div', { class: 'row' }, h('strong', { text: e.endpoint_id }),
      h('span', { class: 'muted', text: s.endpoint_type === 'ENDPOINT_TYPE_READ_ONLY' ? 'read replica' : 'read-write' }),
      h('span', { class: 'state state-' + s.current_state, 'data-field': 'state', text: s.current_state }),
      h('span', { text: s.current_cu !== undefined ? `${s.current_cu} CU now` : 'not running' }),
      h('span', { class: 'muted', text: `limits ${s.autoscaling_limit_min_cu}–${s.autoscaling_limit_max_cu} CU` }),
      h('span', { class: 'muted', text: s.no_suspension ? 'never suspends' : `suspends after ${seconds(s.suspend_timeout_duration)} s idle` }),
      s.replication_lag_bytes !== undefined ? h('span', { class: 'muted', text: `lag ${s.replication_lag_bytes} B` }) : null),
    graph,
    h('div', { class: 'row' }, 'CU', min, '–', max, resize, suspend, del, connect, status),
    conn);
  loadHistory(e, graph);
  return card;
}

/** CU over time (filled area) and connections (line), from the last hour of 5-second samples. */
async function loadHistory(e, box) {
  let data;
  try { data = await api('GET', OX + 'endpoints/' + e.uid + '/history'); } catch { return; }
  const samples = data.samples || [];
  const W = 560, H = 90, pad = 22;
  const graph = svg('svg', { class: 'graph', width: W, height: H + pad, 'data-samples': samples.length });
  if (samples.length === 0) {
    graph.append(svg('text', { x: 10, y: 20, class: 'muted' }, 'No samples yet (one every 5 s).'));
    return box.replaceChildren(graph);
  }
  const t0 = Date.parse(samples[0].time), t1 = Math.max(Date.parse(samples[samples.length - 1].time), t0 + 1);
  const maxCu = Math.max(e.status.autoscaling_limit_max_cu, ...samples.map(s => s.cu), 0.5);
  const maxConn = Math.max(1, ...samples.map(s => s.connections));
  const x = t => pad + (Date.parse(t) - t0) / (t1 - t0) * (W - 2 * pad);
  const yCu = cu => H - cu / maxCu * (H - 10);
  const yConn = c => H - c / maxConn * (H - 10);
  let area = `M${x(samples[0].time)} ${H}`;
  for (const s of samples) area += ` L${x(s.time)} ${yCu(s.cu)}`;
  area += ` L${x(samples[samples.length - 1].time)} ${H} Z`;
  graph.append(svg('path', { d: area, fill: '#c6dafc', stroke: '#1a73e8' }));
  graph.append(svg('polyline', { points: samples.map(s => `${x(s.time)},${yConn(s.connections)}`).join(' '), fill: 'none', stroke: '#e37400', 'stroke-dasharray': '3 2' }));
  const last = samples[samples.length - 1];
  graph.append(svg('text', { x: 4, y: 12, 'font-size': 11 }, `${maxCu} CU`));
  graph.append(svg('text', { x: 4, y: H + 16, 'font-size': 11 },
    `${new Date(t0).toLocaleTimeString()} – ${new Date(t1).toLocaleTimeString()} · now ${last.cu} CU, ${last.connections} connection(s) · ` +
    'blue: CU, orange: connections'));
  box.replaceChildren(graph);
}

/** Mints a fresh credential for the endpoint and shows a ready psql command and URI, with copy buttons. */
async function connectionString(e, box) {
  const info = state.info;
  const cred = await api('POST', PG + 'credentials', { endpoint: e.name });
  const host = e.status.hosts.host;
  // hostaddr: the endpoint's name needs no DNS entry; the proxy routes by the TLS SNI name
  const listen = info.pg_host && !['0.0.0.0', '::', ''].includes(info.pg_host) ? info.pg_host : location.hostname;
  const hostaddr = /^[0-9.]+$/.test(listen) || listen.includes(':') ? listen : listen === 'localhost' ? '127.0.0.1' : null;
  const port = info.pg_port || 5432;
  const db = 'databricks_postgres';
  const tls = info.ca_certificate ? `sslmode=verify-full sslrootcert=${info.ca_certificate}` : 'sslmode=require';
  const conninfo = `host=${host}${hostaddr ? ' hostaddr=' + hostaddr : ''} port=${port} dbname=${db} user=${info.user_name} password=${cred.token} ${tls}`;
  const psql = `psql "${conninfo}"`;
  const uri = `postgresql://${encodeURIComponent(info.user_name)}:${encodeURIComponent(cred.token)}@${host}:${port}/${db}?` +
    (hostaddr ? 'hostaddr=' + hostaddr + '&' : '') + tls.replace(' ', '&');
  const copied = h('span', { class: 'muted', id: 'copy-status' });
  const copyBtn = (id, text) => h('button', { id, text: 'Copy', onclick: async () => {
    const ok = await copyText(text);
    copied.textContent = ok ? 'Copied.' : 'Copy failed; select the text instead.';
    copied.dataset.copied = text;
  } });
  box.replaceChildren(h('div', { class: 'muted', text: `Credential valid until ${new Date(cred.expire_time).toLocaleString()}.` }),
    h('div', { class: 'row' }, h('strong', { text: 'psql' }), copyBtn('copy-conn', psql), copied),
    h('pre', { class: 'conn', id: 'conn-psql', text: psql }),
    h('div', { class: 'row' }, h('strong', { text: 'URI' }), copyBtn('copy-uri', uri)),
    h('pre', { class: 'conn', id: 'conn-uri', text: uri }));
}

// ---------- SQL editor ----------

/** Compare this branch with another: the DDL that makes the other match it, and rows added/removed/changed per table. */
// ---------- change feeds: each database's cdf-configs (Postgres schema → Delta), their tables and lag ----------

function kib(n) { return n === undefined || n === null ? '' : n < 1024 ? n + ' B' : n < 1048576 ? (n / 1024).toFixed(1) + ' KiB' : (n / 1048576).toFixed(1) + ' MiB'; }

function feedsView(b) {
  const body = h('tbody', { id: 'cdf-feeds' });
  const status = h('span', { class: 'muted', id: 'cdf-status' });
  const database = h('select', { id: 'new-cdf-database', title: 'database' });
  const pgSchema = h('input', { id: 'new-cdf-postgres-schema', placeholder: 'Postgres schema', size: 14 });
  const catalog = h('input', { id: 'new-cdf-catalog', placeholder: 'catalog', size: 10 });
  const schema = h('input', { id: 'new-cdf-schema', placeholder: 'Delta schema', size: 12 });
  const create = h('button', { id: 'create-cdf-config', text: 'Create feed' });
  create.addEventListener('click', () => act(create, async () => {
    await waitFor(await api('POST', PG + database.value + '/cdf-configs?cdf_config_id=' + encodeURIComponent(pgSchema.value.trim()),
      { catalog: catalog.value.trim(), schema: schema.value.trim(), postgres_schema: pgSchema.value.trim() }), status);
    loadFeeds(b, body, database);
  }));
  loadFeeds(b, body, database);
  return h('section', {}, h('div', { class: 'row' }, h('h3', { text: 'Change feeds to Delta' }), status),
    h('table', {}, h('thead', {}, h('tr', {}, ['Feed', 'Postgres table', 'Delta table', 'State', 'Committed LSN', 'Last commit', 'Lag', 'Slot keeps', '']
      .map(t => h('th', { text: t })))), body),
    h('div', { class: 'row' }, database, pgSchema, '→', catalog, schema, create));
}

async function loadFeeds(b, body, databaseSelect) {
  try {
    const databases = await listAll(PG + b.name + '/databases', 'databases');
    databaseSelect.replaceChildren(...databases.map(d => h('option', { value: d.name, text: d.status && d.status.postgres_database || d.name.split('/').pop() })));
    const rows = [];
    for (const d of databases) {
      for (const c of await listAll(PG + d.name + '/cdf-configs', 'cdf_configs')) {
        const statuses = await listAll(PG + c.name + '/cdf-statuses', 'cdf_statuses');
        const del = h('button', { class: 'danger', text: 'Delete', 'data-delete-feed': c.cdf_config_id, onclick: () => act(del, async () => {
          if (!confirm(`Delete feed ${c.cdf_config_id}? Its slot and publication are dropped; the Delta tables stay.`)) return;
          await waitFor(await api('DELETE', PG + c.name), document.getElementById('cdf-status'));
          loadFeeds(b, body, databaseSelect);
        }) });
        const feed = h('td', { rowspan: Math.max(1, statuses.length) }, h('code', { text: c.cdf_config_id }), ' ', `${c.postgres_schema} → ${c.catalog}.${c.schema}`);
        if (!statuses.length) rows.push(h('tr', { 'data-feed': c.cdf_config_id }, feed, h('td', { class: 'muted', colspan: 7, text: 'starting…' }), h('td', {}, del)));
        statuses.forEach((s, i) => rows.push(h('tr', { 'data-feed': c.cdf_config_id, 'data-table': s.postgres_table }, i === 0 ? feed : null,
          h('td', { text: s.postgres_table }), h('td', { text: s.uc_table }),
          h('td', {}, h('span', { class: 'state state-' + s.state, text: s.state.replace('CDF_STATE_', ''), title: s.status_detail || '' })),
          h('td', {}, h('code', { text: s.committed_lsn || '' })), h('td', { text: ago(s.last_sync_time) }),
          h('td', { class: 'cdf-lag', text: kib(s.lag_bytes) }), h('td', { text: kib(s.retained_wal_bytes) }), h('td', {}, i === 0 ? del : null))));
      }
    }
    body.replaceChildren(...(rows.length ? rows : [h('tr', {}, h('td', { class: 'muted', colspan: 9, text: 'No change feeds on this branch.' }))]));
  } catch (e) { showError(e.message); }
}

function diffView(b) {
  const against = h('select', { id: 'diff-against' }, state.branches.filter(x => x.name !== b.name)
    .map(x => h('option', { value: x.branch_id, text: x.branch_id, selected: x.name === b.status.source_branch })));
  const schemaOnly = h('input', { id: 'diff-schema-only', type: 'checkbox' });
  const result = h('div', { id: 'diff-result', class: 'results' });
  const run = h('button', { id: 'run-diff', text: 'Compare' });
  run.addEventListener('click', () => act(run, async () => {
    result.replaceChildren(h('p', { class: 'muted', text: 'Comparing (suspended computes wake first)…' }));
    try {
      const d = await api('GET', OX + b.name + ':diff?against=' + encodeURIComponent(against.value) + (schemaOnly.checked ? '&schema_only=true' : ''));
      const statements = d.schema.statements;
      const tables = d.data ? d.data.tables : [];
      result.replaceChildren(
        h('p', { class: 'muted', id: 'diff-summary', text: d.identical ? `identical to ${against.value}`
          : `${d.schema.changes.length} schema change(s), ${tables.length} table(s) with different rows · ${d.stats.elapsed_ms} ms` }),
        statements.length ? h('pre', { id: 'diff-ddl', text: `-- run on ${against.value} to match ${b.branch_id}\n` + statements.map(x => x + ';').join('\n') }) : null,
        tables.length ? h('table', {}, h('thead', {}, h('tr', {}, ['table', 'added', 'removed', 'changed', 'examples'].map(c => h('th', { text: c })))),
          h('tbody', {}, tables.map(t => h('tr', {}, h('td', { text: t.table }), h('td', { text: t.rows_added }), h('td', { text: t.rows_removed }),
            h('td', { text: t.rows_changed }), h('td', { text: t.examples.map(e => e.change.toLowerCase() + ' ' + JSON.stringify(e.key)).join(', ') }))))) : null,
        d.data && d.data.not_comparable.length ? h('p', { class: 'muted', text: 'not compared: ' + d.data.not_comparable.map(t => `${t.table} (${t.reason})`).join(', ') }) : null);
    } catch (e) {
      result.replaceChildren(h('p', { class: 'state-FAILED', id: 'diff-error', text: e.message }));
    }
  }));
  return h('section', {}, h('h3', { text: 'Compare with another branch' }),
    h('div', { class: 'row' }, 'against', against, h('label', {}, schemaOnly, ' schema only'), run), result);
}

function sqlEditor(b) {
  const endpoint = h('select', { id: 'sql-endpoint' });
  const database = h('input', { id: 'sql-database', value: 'databricks_postgres', size: 20 });
  const query = h('textarea', { id: 'sql-query', rows: 5, placeholder: 'SELECT now();' });
  const result = h('div', { id: 'sql-result', class: 'results' });
  const run = h('button', { id: 'run-sql', class: 'primary', text: 'Run' });
  run.addEventListener('click', () => act(run, async () => {
    result.replaceChildren(h('p', { class: 'muted', text: 'Running (a suspended compute wakes first)…' }));
    try {
      const r = await api('POST', OX + 'sql', { endpoint: endpoint.value, database: database.value, query: query.value });
      const summary = r.update_count !== undefined && !r.columns.length ? `${r.update_count} row(s) affected`
        : `${r.rows.length} row(s)${r.truncated ? ` — cut at ${r.row_limit}` : ''}`;
      result.replaceChildren(h('p', { class: 'muted', id: 'sql-summary', text: `${summary} · ${r.elapsed_ms} ms` }),
        r.columns.length ? h('table', {}, h('thead', {}, h('tr', {}, r.columns.map(c => h('th', { title: c.type, text: c.name })))),
          h('tbody', {}, r.rows.map(row => h('tr', {}, row.map(v => h('td', { class: v === null ? 'muted' : '', text: v === null ? 'NULL' : v })))))) : null);
    } catch (e) {
      result.replaceChildren(h('p', { class: 'state-FAILED', id: 'sql-error', text: e.message }));
    }
  }));
  query.addEventListener('keydown', ev => { if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) run.click(); });
  return h('section', {}, h('h3', { text: 'SQL editor' }),
    h('div', { class: 'row' }, 'endpoint', endpoint, 'database', database, run, h('span', { class: 'muted', text: `on ${b.branch_id}, as your own role · Ctrl+Enter runs` })),
    query, result);
}
