// render(state, derived, root): the dataset view as a function of its state. The first call
// builds the skeleton; later calls update controls, charts, the group and transition tables and
// the virtualised row table in place.
import { fmt } from '../../src/protocol/format';
import { LABEL_COLOURS, ROW_LABELS, type DatasetDataMessage, type RowLabel } from '../../src/protocol/dataset';
import { renderMeans, renderScatter } from './charts';
import type { Derived } from './derive';
import { renderTable, type TableHandlers } from './table';
import type { Brush, DatasetState, ViewSettings } from './state';

export interface DatasetHandlers extends TableHandlers {
  set(patch: Partial<ViewSettings>): void;
  toggleLabel(label: RowLabel): void;
  brush(b?: Brush): void;
  clearFilters(): void;
  exportRows(format: 'jsonl' | 'csv'): void;
  exportCharts(format: 'svg' | 'png'): void;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function field(label: string, control: HTMLElement): HTMLLabelElement {
  const l = el('label', { class: 'ds-field' });
  l.append(el('span', {}, label), control);
  return l;
}

function input(name: string, placeholder: string, h: DatasetHandlers, width = '10em'): HTMLInputElement {
  const i = el('input', { name, placeholder, type: 'text', spellcheck: 'false' });
  i.style.width = width;
  i.addEventListener('input', () => h.set({ [name]: i.value } as Partial<ViewSettings>));
  return i;
}

function selectBox(name: string, h: DatasetHandlers): HTMLSelectElement {
  const s = el('select', { name });
  s.addEventListener('change', () => h.set({ [name]: s.value } as Partial<ViewSettings>));
  return s;
}

function button(text: string, cls: string, on: () => void): HTMLButtonElement {
  const b = el('button', { class: cls, type: 'button' }, text);
  b.addEventListener('click', on);
  return b;
}

function skeleton(root: HTMLElement, h: DatasetHandlers): void {
  const app = el('div', { class: 'ds-app' });
  const header = el('header', { class: 'ds-header' });
  header.append(el('h1'), el('p', { class: 'ds-files muted' }), el('p', { class: 'ds-notes muted' }));
  const controls = el('div', { class: 'ds-controls', role: 'toolbar', 'aria-label': 'View and filters' });
  const labels = el('div', { class: 'ds-labels', role: 'group', 'aria-label': 'Labels shown' });
  for (const l of ROW_LABELS) {
    const b = button(l, 'ds-label-toggle', () => h.toggleLabel(l));
    b.dataset.label = l;
    b.style.setProperty('--label-colour', LABEL_COLOURS[l]);
    labels.appendChild(b);
  }
  const flipped = el('input', { type: 'checkbox', name: 'flippedOnly' });
  flipped.addEventListener('change', () => h.set({ flippedOnly: flipped.checked }));
  const flippedLabel = field('only flipped', flipped);
  flippedLabel.classList.add('ds-flipped');
  controls.append(
    field('layer', selectBox('layer', h)),
    field('position', selectBox('position', h)),
    field('x', selectBox('x', h)),
    field('y', selectBox('y', h)),
    labels,
    field('text', input('text', 'id, prompt, response…', h, '14em')),
    field('score ≥', input('scoreMin', 'min', h, '5em')),
    field('≤', input('scoreMax', 'max', h, '5em')),
    field('column', selectBox('fieldKey', h)),
    field('has', input('fieldValue', 'text, <3, >=0.5, =x', h, '9em')),
    field('group by', selectBox('groupBy', h)),
    flippedLabel,
    button('Clear filters', 'ds-clear secondary', h.clearFilters),
  );
  const status = el('div', { class: 'ds-status', role: 'status' });
  status.append(
    el('span', { class: 'ds-count' }),
    el('span', { class: 'spacer' }),
    button('Export rows (JSONL)…', 'ds-export-jsonl secondary', () => h.exportRows('jsonl')),
    button('Export rows (CSV)…', 'ds-export-csv secondary', () => h.exportRows('csv')),
    button('Charts as SVG…', 'ds-export-svg secondary', () => h.exportCharts('svg')),
    button('Charts as PNG…', 'ds-export-png secondary', () => h.exportCharts('png')),
  );
  // Charts fold away (a narrow panel stacks them above the rows); compare mode leads with the transitions.
  const charts = el('details', { class: 'ds-charts-box', open: '' });
  charts.append(el('summary', {}, 'Charts'));
  const chartBody = charts.appendChild(el('section', { class: 'ds-charts', 'aria-label': 'Charts' }));
  chartBody.append(el('div', { class: 'ds-transitions' }), el('div', { class: 'ds-scatter' }), el('div', { class: 'ds-means' }));
  app.append(header, controls, status, charts, el('section', { class: 'ds-groups', 'aria-label': 'Groups' }), el('section', { class: 'ds-rows', 'aria-label': 'Rows' }));
  app.append(el('p', { class: 'ds-empty muted' }, 'Loading the results…'));
  root.appendChild(app);
}

function options(s: HTMLSelectElement, values: { value: string; text: string }[], current: string): void {
  const key = values.map((v) => `${v.value}\u0001${v.text}`).join('\u0000');
  if (s.dataset.opts !== key) {
    s.replaceChildren(...values.map((v) => el('option', { value: v.value }, v.text)));
    s.dataset.opts = key;
  }
  if (s.value !== current) s.value = current;
}

function setInput(root: HTMLElement, name: string, value: string): void {
  const i = root.querySelector<HTMLInputElement>(`input[name="${name}"]`)!;
  if (i.value !== value && document.activeElement !== i) i.value = value;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function groupTable(host: HTMLElement, d: Derived, view: ViewSettings, h: DatasetHandlers): void {
  if (!view.groupBy || !d.groups) return void host.replaceChildren();
  const t = el('table', { class: 'ds-group-table' });
  const head = el('tr');
  for (const c of [view.groupBy.replace(/^(field|proj):/, ''), 'rows', 'refusal (95% CI)', 'bypass (95% CI)', 'degenerate (95% CI)', 'error', 'mean score']) head.appendChild(el('th', {}, c));
  t.appendChild(el('thead')).appendChild(head);
  const body = t.appendChild(el('tbody'));
  for (const g of d.groups.slice(0, 200)) {
    const tr = el('tr', { 'data-group': g.value, title: `Filter the rows to ${g.value}` });
    tr.appendChild(el('td', { class: 'text' }, g.value));
    tr.appendChild(el('td', {}, String(g.n)));
    for (const l of ['refusal', 'bypass', 'degenerate'] as const) {
      const r = g.rates[l];
      const td = el('td', { 'data-label': l, 'data-rate': r.rate.toFixed(6), 'data-lo': r.lo.toFixed(6), 'data-hi': r.hi.toFixed(6) });
      td.append(`${r.k} · ${pct(r.rate)} `, el('span', { class: 'muted' }, `[${pct(r.lo)}, ${pct(r.hi)}]`));
      tr.appendChild(td);
    }
    tr.appendChild(el('td', {}, String(g.counts.error)));
    tr.appendChild(el('td', {}, g.meanScore === undefined ? '–' : fmt(g.meanScore)));
    tr.addEventListener('click', () => h.set({ fieldKey: view.groupBy, fieldValue: g.value === '(none)' ? '' : `=${g.value}` }));
    body.appendChild(tr);
  }
  const cap = el('caption', {}, `${d.groups.length} group${d.groups.length === 1 ? '' : 's'} of the filtered rows${d.groups.length > 200 ? ' (largest 200 shown)' : ''}; rates leave error rows out. Click a group to filter to it.`);
  t.prepend(cap);
  host.replaceChildren(t);
}

function transitionTable(host: HTMLElement, data: DatasetDataMessage, d: Derived): void {
  if (!data.b || !d.transitions) return void host.replaceChildren();
  const t = el('table', { class: 'ds-transition-table' });
  t.appendChild(el('caption', {}, `Label before (rows) → after (columns): ${d.flipped} of ${d.all} rows flipped`));
  const head = el('tr');
  head.appendChild(el('th', {}, 'before \\ after'));
  for (const l of ROW_LABELS) head.appendChild(el('th', {}, l));
  t.appendChild(el('thead')).appendChild(head);
  const body = t.appendChild(el('tbody'));
  for (const a of ROW_LABELS) {
    const tr = el('tr', { 'data-before': a });
    tr.appendChild(el('th', {}, a));
    for (const b of ROW_LABELS) {
      const n = d.transitions[a][b];
      tr.appendChild(el('td', { 'data-after': b, class: a === b ? 'same' : n ? 'changed' : '' }, String(n)));
    }
    body.appendChild(tr);
  }
  host.replaceChildren(t);
}

export function render(state: DatasetState, d: Derived | undefined, root: HTMLElement, h: DatasetHandlers): void {
  if (!root.querySelector('.ds-app')) skeleton(root, h);
  const app = root.querySelector<HTMLElement>('.ds-app')!;
  const data = state.data;
  const view = state.view;
  app.querySelector<HTMLElement>('.ds-empty')!.hidden = !!data;
  if (!data || !d) return;
  app.querySelector('h1')!.textContent = data.b ? 'Compare results' : 'Dataset';
  app.querySelector('.ds-files')!.textContent = data.b ? `before: ${data.a.results} · after: ${data.b.results}` : `${data.a.results}${data.dataset ? ` · dataset ${data.dataset}` : ''}`;
  const notes = [...data.notes];
  if (d.onlyA || d.onlyB) notes.push(`${d.onlyA} row${d.onlyA === 1 ? '' : 's'} only before, ${d.onlyB} only after: left out`);
  if (!data.inspectable) notes.push('rows of this dataset cannot be opened in the inspector (it reads JSONL datasets)');
  app.querySelector('.ds-notes')!.textContent = notes.join(' · ');
  options(app.querySelector('select[name="layer"]')!, data.layers.map((l) => ({ value: l, text: `L${l}` })), view.layer);
  options(app.querySelector('select[name="position"]')!, data.positions.map((p) => ({ value: p, text: p })), view.position);
  const axes = data.axes.map((a) => ({ value: a, text: a }));
  options(app.querySelector('select[name="x"]')!, axes, view.x);
  options(app.querySelector('select[name="y"]')!, axes, view.y);
  const colOpts = d.columns.map((c) => ({ value: c.key, text: c.title }));
  options(app.querySelector('select[name="fieldKey"]')!, [{ value: '', text: '(any column)' }, ...colOpts], view.fieldKey);
  options(app.querySelector('select[name="groupBy"]')!, [{ value: '', text: '(none)' }, ...colOpts.filter((c) => !/^(proj|d):|^(score|score_b|d_score|line|response|response_b|prompt)$/.test(c.value))], view.groupBy);
  for (const [name, value] of [['text', view.text], ['scoreMin', view.scoreMin], ['scoreMax', view.scoreMax], ['fieldValue', view.fieldValue]] as const) setInput(app, name, value);
  for (const b of app.querySelectorAll<HTMLButtonElement>('.ds-label-toggle')) {
    const l = b.dataset.label as RowLabel;
    const on = view.labels.length === 0 || view.labels.includes(l);
    b.setAttribute('aria-pressed', String(view.labels.includes(l)));
    b.classList.toggle('off', !on);
    b.textContent = `${l} ${d.labelCounts[l]}`;
  }
  const flipped = app.querySelector<HTMLInputElement>('input[name="flippedOnly"]')!;
  flipped.checked = view.flippedOnly;
  app.querySelector<HTMLElement>('.ds-flipped')!.hidden = !data.b;
  const count = app.querySelector<HTMLElement>('.ds-count')!;
  count.textContent = `${d.rows.length} of ${d.all} rows${view.brush ? ' (brushed on the scatter)' : ''}${view.sort ? ` · sorted by ${d.columns.find((c) => c.key === view.sort!.key)?.title ?? view.sort.key} ${view.sort.dir === 1 ? '▲' : '▼'}` : ''}`;
  count.dataset.shown = String(d.rows.length);
  count.dataset.total = String(d.all);
  // The charts redraw only when what they show changed (a sort or a scroll leaves them as they are).
  const chartKey = [d.points, d.means, view.x, view.y, view.layer, view.position, view.brush?.x0, view.brush?.x1, view.brush?.y0, view.brush?.y1];
  const chartsHost = app.querySelector('.ds-charts') as HTMLElement & { __key?: unknown[] };
  const chartsChanged = !chartsHost.__key || chartsHost.__key.length !== chartKey.length || chartsHost.__key.some((k, i) => k !== chartKey[i]);
  chartsHost.__key = chartKey;
  if (chartsChanged && data.axes.length >= 1) {
    renderScatter(app.querySelector('.ds-scatter')!, d.points, { x: view.x, y: view.y, layer: view.layer, position: view.position, ...(view.brush ? { brush: view.brush } : {}), onBrush: h.brush });
    const means = app.querySelector<HTMLElement>('.ds-means')!;
    for (const svg of means.querySelectorAll('svg.means')) if (!data.axes.includes(svg.getAttribute('data-axis') ?? '')) svg.remove();
    for (const axis of data.axes) renderMeans(means, axis, view.position, data.layers, d.means[axis] ?? {});
  }
  const once = (host: HTMLElement & { __key?: unknown[] }, key: unknown[], draw: () => void) => {
    if (host.__key && host.__key.length === key.length && host.__key.every((k, i) => k === key[i])) return;
    host.__key = key;
    draw();
  };
  once(app.querySelector('.ds-transitions')!, [data, d.transitions], () => transitionTable(app.querySelector('.ds-transitions')!, data, d));
  once(app.querySelector('.ds-groups')!, [d.groups, view.groupBy], () => groupTable(app.querySelector('.ds-groups')!, d, view, h));
  renderTable(app.querySelector('.ds-rows')!, d.rows, d.columns, view, h);
}
