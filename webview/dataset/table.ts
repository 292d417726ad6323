// The virtualised row table: a fixed header of sortable columns and a scroll box that holds only
// the rows in view (plus a margin) at their offsets, so 10,000 rows cost what 40 do. A row click
// inspects it; ↑ ↓ move the selection and Enter inspects it.
import { fmt } from '../../src/protocol/format';
import { cellValue, type Column, type ViewRow } from './model';
import type { ViewSettings } from './state';

export const ROW_HEIGHT = 24;
const OVERSCAN = 8;

export interface TableHandlers {
  sort(key: string): void;
  inspect(id: string): void;
  select(id: string): void;
}

interface TableNode extends HTMLElement {
  __rows?: ViewRow[];
  __cols?: Column[];
  __view?: ViewSettings;
  __h?: TableHandlers;
  __drawn?: string;
}

function cellText(v: string | number | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'number') return fmt(v);
  return v.length > 400 ? `${v.slice(0, 400)}…` : v;
}

function build(host: HTMLElement): TableNode {
  const t = document.createElement('div') as TableNode;
  t.className = 'ds-table';
  t.setAttribute('role', 'grid');
  const head = document.createElement('div');
  head.className = 'ds-head';
  head.setAttribute('role', 'row');
  const scroll = document.createElement('div');
  scroll.className = 'ds-scroll';
  scroll.tabIndex = 0;
  scroll.setAttribute('aria-label', 'Rows');
  const spacer = document.createElement('div');
  spacer.className = 'ds-spacer';
  const body = document.createElement('div');
  body.className = 'ds-body';
  spacer.appendChild(body);
  scroll.appendChild(spacer);
  t.append(head, scroll);
  host.appendChild(t);
  scroll.addEventListener('scroll', () => drawRows(t));
  // The header scrolls sideways with the rows.
  scroll.addEventListener('scroll', () => (head.scrollLeft = scroll.scrollLeft));
  head.addEventListener('click', (ev) => {
    const key = (ev.target as HTMLElement).closest<HTMLElement>('[data-key]')?.dataset.key;
    if (key) t.__h?.sort(key);
  });
  body.addEventListener('click', (ev) => {
    const id = (ev.target as HTMLElement).closest<HTMLElement>('.ds-row')?.dataset.id;
    if (id !== undefined) {
      t.__h?.select(id);
      t.__h?.inspect(id);
    }
  });
  scroll.addEventListener('keydown', (ev) => {
    const rows = t.__rows ?? [];
    if (!rows.length || !t.__h) return;
    const cur = rows.findIndex((r) => r.a.id === t.__view?.selected);
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      ev.preventDefault();
      const next = Math.max(0, Math.min(rows.length - 1, cur < 0 ? 0 : cur + (ev.key === 'ArrowDown' ? 1 : -1)));
      t.__h.select(rows[next]!.a.id);
      const top = next * ROW_HEIGHT;
      if (top < scroll.scrollTop) scroll.scrollTop = top;
      else if (top + ROW_HEIGHT > scroll.scrollTop + scroll.clientHeight) scroll.scrollTop = top + ROW_HEIGHT - scroll.clientHeight;
    } else if (ev.key === 'Enter' && cur >= 0) {
      t.__h.inspect(rows[cur]!.a.id);
    }
  });
  return t;
}

/** Shows `rows` (already filtered and sorted) under `cols`; cheap to call on every state change. */
export function renderTable(host: HTMLElement, rows: ViewRow[], cols: Column[], view: ViewSettings, h: TableHandlers): void {
  const t = host.querySelector<TableNode>('.ds-table') ?? build(host);
  const changedCols = t.__cols !== cols;
  t.__rows = rows;
  t.__cols = cols;
  t.__view = view;
  t.__h = h;
  const width = cols.reduce((s, c) => s + c.width, 0);
  const head = t.querySelector<HTMLElement>('.ds-head')!;
  if (changedCols || head.dataset.sort !== `${view.sort?.key}:${view.sort?.dir}`) {
    head.replaceChildren(
      ...cols.map((c) => {
        const d = document.createElement('div');
        d.className = `ds-cell ds-th${c.numeric ? ' num' : ''}`;
        d.setAttribute('role', 'columnheader');
        d.dataset.key = c.key;
        d.style.width = `${c.width}px`;
        const s = view.sort?.key === c.key ? view.sort.dir : 0;
        d.setAttribute('aria-sort', s === 1 ? 'ascending' : s === -1 ? 'descending' : 'none');
        d.textContent = `${c.title}${s === 1 ? ' ▲' : s === -1 ? ' ▼' : ''}`;
        d.title = `Sort by ${c.title}`;
        return d;
      }),
    );
    head.dataset.sort = `${view.sort?.key}:${view.sort?.dir}`;
  }
  const spacer = t.querySelector<HTMLElement>('.ds-spacer')!;
  spacer.style.height = `${rows.length * ROW_HEIGHT}px`;
  spacer.style.width = `${width}px`;
  t.dataset.rows = String(rows.length);
  t.__drawn = undefined;
  drawRows(t);
}

function drawRows(t: TableNode): void {
  const rows = t.__rows ?? [];
  const cols = t.__cols ?? [];
  const view = t.__view!;
  const scroll = t.querySelector<HTMLElement>('.ds-scroll')!;
  const body = t.querySelector<HTMLElement>('.ds-body')!;
  const first = Math.max(0, Math.floor(scroll.scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scroll.scrollTop + (scroll.clientHeight || 480)) / ROW_HEIGHT) + OVERSCAN);
  const key = `${first}:${last}:${view.selected}`;
  if (t.__drawn === key) return;
  t.__drawn = key;
  body.style.transform = `translateY(${first * ROW_HEIGHT}px)`;
  const out: HTMLElement[] = [];
  for (let i = first; i < last; i++) {
    const vr = rows[i]!;
    const r = document.createElement('div');
    r.className = `ds-row label-${vr.a.label}${vr.a.id === view.selected ? ' selected' : ''}${vr.b && vr.b.label !== vr.a.label ? ' flipped' : ''}`;
    r.setAttribute('role', 'row');
    r.setAttribute('aria-rowindex', String(i + 1));
    r.dataset.id = vr.a.id;
    for (const c of cols) {
      const v = cellValue(vr, c.key, view);
      const d = document.createElement('div');
      d.className = `ds-cell${c.numeric ? ' num' : ''}`;
      d.setAttribute('role', 'gridcell');
      d.dataset.key = c.key;
      d.style.width = `${c.width}px`;
      const text = cellText(v);
      d.textContent = text;
      if (typeof v === 'string' && v.length > 30) d.title = v.length > 2000 ? `${v.slice(0, 2000)}…` : v;
      if (typeof v === 'number') d.dataset.value = String(v);
      r.appendChild(d);
    }
    out.push(r);
  }
  body.replaceChildren(...out);
}
