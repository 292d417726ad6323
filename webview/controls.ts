// The controls: Rerun, difference toggle, pin for comparison, exports, intervention chips, the
// steer / project-out / cap forms and the random control. Built once and then only updated, so focus and half-typed text survive
// every re-render. Every control has a visible label or an aria-label.

import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { select, type Selection } from 'd3-selection';
import { COEFFICIENT_SLIDER_SPAN, COEFFICIENT_SLIDER_STEP } from '../src/protocol/defaults';
import { NORM_SUFFIX, parseCoefficientText } from '../src/protocol/reference';
import { POSITION_LABELS, POSITIONS, type Intervention } from '../src/protocol/interventions';
import { interventionText } from './format';
import type { FormState, InspectorState } from './state';

export interface ControlHandlers {
  rerun(): void;
  setDiff(on: boolean): void;
  exportAs(format: 'svg' | 'png' | 'json'): void;
  remove(index: number): void;
  clear(): void;
  form(patch: Partial<FormState>): void;
  addSteer(): void;
  addProjectOut(): void;
  addCap(): void;
  runControl(): void;
  pin(): void;
  unpin(): void;
  formsOpen(open: boolean): void;
}

type Div = Selection<HTMLDivElement, unknown, null, undefined>;
type AnyEl = Selection<HTMLElement, unknown, null, undefined>;

function button(parent: Div, id: string, text: string, onClick: () => void, secondary = true): AnyEl {
  const b = parent.append('vscode-button').attr('id', id).text(text) as unknown as AnyEl;
  if (secondary) b.attr('secondary', '');
  return b.on('click', onClick);
}

/** A labelled field: `<vscode-label for>` names the control for screen readers too. */
function field(parent: Div, id: string, label: string, tag: 'vscode-textfield' | 'vscode-single-select'): AnyEl {
  const wrap = parent.append('div').attr('class', 'field');
  wrap.append('vscode-label').attr('for', id).text(label);
  return wrap.append(tag).attr('id', id).attr('label', label) as unknown as AnyEl;
}

function textField(parent: Div, id: string, label: string, key: keyof FormState, h: ControlHandlers, type = 'number'): void {
  field(parent, id, label, 'vscode-textfield')
    .attr('type', type)
    .attr('data-key', key)
    .on('input', (ev: Event) => h.form({ [key]: (ev.target as HTMLInputElement).value } as Partial<FormState>));
}

/** Decimal fields are text: a number input's step (1) marks a valid 0.25 invalid; our parsers check them. */
function decimalField(parent: Div, id: string, label: string, key: keyof FormState, h: ControlHandlers, placeholder?: string): void {
  const f = field(parent, id, label, 'vscode-textfield')
    .attr('type', 'text')
    .attr('inputmode', 'decimal')
    .attr('data-key', key)
    .on('input', (ev: Event) => h.form({ [key]: (ev.target as HTMLInputElement).value } as Partial<FormState>));
  if (placeholder) f.attr('placeholder', placeholder);
}

function selectField(parent: Div, id: string, label: string, key: keyof FormState, h: ControlHandlers): void {
  field(parent, id, label, 'vscode-single-select')
    .attr('data-key', key)
    .on('change', (ev: Event) => h.form({ [key]: (ev.target as HTMLSelectElement).value } as Partial<FormState>));
}

/** Build the static skeleton once. */
export function buildControls(container: HTMLElement, h: ControlHandlers): void {
  const root = select(container as HTMLDivElement);
  const bar = root.append('div').attr('class', 'toolbar').attr('role', 'toolbar').attr('aria-label', 'Run and export');
  button(bar, 'rerun', 'Rerun', h.rerun, false);
  button(bar, 'pin', 'Pin for comparison', h.pin).attr('title', 'Keep this run; inspect another prompt to compare them side by side');
  button(bar, 'unpin', 'Unpin', h.unpin);
  bar
    .append('vscode-checkbox')
    .attr('id', 'diff-toggle')
    .attr('label', 'Difference view (run − baseline)')
    .on('change', (ev: Event) => h.setDiff((ev.target as HTMLInputElement).checked));
  bar.append('span').attr('class', 'spacer');
  button(bar, 'export-svg', 'Export SVG', () => h.exportAs('svg'));
  button(bar, 'export-png', 'Export PNG', () => h.exportAs('png'));
  button(bar, 'export-json', 'Export JSON', () => h.exportAs('json'));

  const ivs = root.append('section').attr('class', 'interventions').attr('aria-labelledby', 'iv-heading');
  ivs.append('h2').attr('id', 'iv-heading').text('Active interventions');
  ivs.append('ul').attr('class', 'chips');
  ivs.append('p').attr('class', 'chips-empty').text('None: the next run is the plain model.');
  button(ivs as unknown as Div, 'clear-interventions', 'Clear all', h.clear);

  // Collapsible: in a narrow panel the four forms would push the response and heatmaps off screen.
  const box = root
    .append('details')
    .attr('class', 'forms-box')
    .attr('open', '')
    .on('toggle', (ev: Event) => h.formsOpen((ev.target as HTMLDetailsElement).open));
  box.append('summary').text('Add an intervention · random control');
  const forms = box.append('div').attr('class', 'forms');
  const steer = forms.append('section').attr('class', 'form steer').attr('aria-labelledby', 'steer-heading');
  steer.append('h2').attr('id', 'steer-heading').text('Steer');
  const sRow = steer.append('div').attr('class', 'row');
  selectField(sRow, 'steer-axis', 'Axis', 'steerAxis', h);
  decimalField(sRow, 'steer-coefficient', 'Coefficient', 'coefficient', h);
  // The slider spans ±COEFFICIENT_SLIDER_SPAN in norm units (the default's unit); the field takes any value, raw or norm.
  const slide = sRow.append('div').attr('class', 'field slider');
  slide.append('vscode-label').attr('for', 'steer-slider').text(`× mean residual norm (±${COEFFICIENT_SLIDER_SPAN}${NORM_SUFFIX})`);
  slide
    .append('input')
    .attr('id', 'steer-slider')
    .attr('type', 'range')
    .attr('min', -COEFFICIENT_SLIDER_SPAN)
    .attr('max', COEFFICIENT_SLIDER_SPAN)
    .attr('step', COEFFICIENT_SLIDER_STEP)
    .attr('aria-label', 'Coefficient slider, in multiples of the layer\'s mean residual norm')
    .on('input', (ev: Event) => h.form({ coefficient: `${(ev.target as HTMLInputElement).value}${NORM_SUFFIX}` }));
  textField(sRow, 'steer-from', 'From layer', 'steerFrom', h);
  textField(sRow, 'steer-to', 'To layer', 'steerTo', h);
  selectField(sRow, 'steer-positions', 'Positions', 'positions', h);
  button(sRow, 'add-steer', 'Add steer', h.addSteer);

  const po = forms.append('section').attr('class', 'form project-out').attr('aria-labelledby', 'po-heading');
  po.append('h2').attr('id', 'po-heading').text('Project out');
  const pRow = po.append('div').attr('class', 'row');
  selectField(pRow, 'po-axis', 'Axis', 'poAxis', h);
  textField(pRow, 'po-from', 'From layer', 'poFrom', h);
  textField(pRow, 'po-to', 'To layer', 'poTo', h);
  button(pRow, 'add-project-out', 'Add project-out', h.addProjectOut);

  const cap = forms.append('section').attr('class', 'form cap').attr('aria-labelledby', 'cap-heading');
  cap.append('h2').attr('id', 'cap-heading').text('Cap');
  const cRow = cap.append('div').attr('class', 'row');
  selectField(cRow, 'cap-axis', 'Axis', 'capAxis', h);
  decimalField(cRow, 'cap-lo', 'Lower bound', 'capLo', h, 'open');
  decimalField(cRow, 'cap-hi', 'Upper bound', 'capHi', h, 'open');
  textField(cRow, 'cap-from', 'From layer', 'capFrom', h);
  textField(cRow, 'cap-to', 'To layer', 'capTo', h);
  selectField(cRow, 'cap-positions', 'Positions', 'capPositions', h);
  button(cRow, 'add-cap', 'Add cap', h.addCap);

  const ctl = forms.append('section').attr('class', 'form control').attr('aria-labelledby', 'control-heading');
  ctl.append('h2').attr('id', 'control-heading').text('Random control');
  const kRow = ctl.append('div').attr('class', 'row');
  selectField(kRow, 'control-axis', 'In place of axis', 'controlAxis', h);
  textField(kRow, 'control-seed', 'Seed', 'controlSeed', h);
  button(kRow, 'run-control', 'Rerun with random direction', h.runControl).attr(
    'title',
    'Rerun once with this axis replaced, in every active intervention, by a random direction of the same norm at each layer',
  );
  root.append('div').attr('class', 'form-error').attr('role', 'alert');
}

function setOptions(container: HTMLElement, id: string, options: { value: string; label: string }[], value: string): void {
  const sel = select(container).select<HTMLElement>(`#${id}`);
  sel
    .selectAll('vscode-option')
    .data(options, (d) => (d as { value: string }).value)
    .join('vscode-option')
    .attr('value', (d) => d.value)
    .attr('selected', (d) => (d.value === value ? '' : null))
    .text((d) => d.label);
  const node = sel.node() as (HTMLElement & { value: string }) | null;
  if (node && node.value !== value) node.value = value;
}

function chipRemove(index: number, iv: Intervention, h: ControlHandlers) {
  return (li: HTMLElement) => {
    const b = select(li).append('vscode-button').attr('class', 'chip-remove').attr('secondary', '').text('×');
    b.attr('aria-label', `Remove intervention ${index + 1}: ${interventionText(iv)}`);
    b.on('click', () => h.remove(index));
  };
}

/** Bring every control in line with the state. */
export function updateControls(container: HTMLElement, state: InspectorState, h: ControlHandlers): void {
  const root = select(container);
  const axisOptions = state.axes.map((a) => ({ value: a.name, label: a.name }));
  setOptions(container, 'steer-axis', axisOptions, state.form.steerAxis);
  setOptions(container, 'po-axis', axisOptions, state.form.poAxis);
  setOptions(container, 'cap-axis', axisOptions, state.form.capAxis);
  setOptions(container, 'control-axis', axisOptions, state.form.controlAxis);
  const positionOptions = POSITIONS.map((p) => ({ value: p, label: POSITION_LABELS[p] }));
  setOptions(container, 'steer-positions', positionOptions, state.form.positions);
  setOptions(container, 'cap-positions', positionOptions, state.form.capPositions);
  const formsBox = root.select<HTMLDetailsElement>('details.forms-box').node();
  if (formsBox && formsBox.open !== state.formsOpen) formsBox.open = state.formsOpen;
  const slider = root.select<HTMLInputElement>('#steer-slider').node();
  // The slider follows the field when the field is in its unit (norm); a raw coefficient leaves it where it is.
  const typed = parseCoefficientText(state.form.coefficient);
  if (slider && typed?.unit === 'norm' && Number(slider.value) !== typed.coefficient) slider.value = String(typed.coefficient);
  root.selectAll<HTMLElement & { value: string }, unknown>('vscode-textfield[data-key]').each(function () {
    const key = this.getAttribute('data-key') as keyof FormState;
    const want = String(state.form[key] ?? '');
    if (this.value !== want) this.value = want;
  });

  const noRun = !state.run && !state.live;
  root.select('#rerun').property('disabled', state.busy || noRun).attr('disabled', state.busy || noRun ? '' : null);
  const diff = root.select<HTMLElement & { checked: boolean; disabled: boolean; updateComplete: Promise<unknown> }>('#diff-toggle');
  diff.property('checked', state.view === 'diff').property('disabled', !state.baseline);
  // vscode-checkbox 2.5 restores tabindex -1 when it is re-enabled after starting disabled,
  // which takes it out of the Tab order; put it back once its update has run.
  const box = diff.node();
  if (box && state.baseline) void box.updateComplete?.then(() => box.getAttribute('tabindex') === '-1' && !box.disabled && box.removeAttribute('tabindex'));
  diff.attr('title', state.baseline ? null : 'No baseline run to compare with yet');
  for (const id of ['export-svg', 'export-png', 'export-json']) root.select(`#${id}`).property('disabled', noRun || !!state.live);
  for (const id of ['add-steer', 'add-project-out', 'add-cap']) root.select(`#${id}`).property('disabled', state.axes.length === 0);
  root.select('#run-control').property('disabled', state.busy || !state.run || state.interventions.length === 0);
  root.select('#pin').attr('hidden', state.run && state.pinned?.run !== state.run ? null : '').property('disabled', !state.run || !!state.live);
  root.select('#unpin').attr('hidden', state.pinned ? null : '');

  // Chips are keyed by index and text: removing one re-creates the rest, so each button's
  // index (and its aria-label) is always current.
  const chips = root
    .select('ul.chips')
    .selectAll<HTMLLIElement, Intervention>('li.chip')
    .data(state.interventions, (d, i) => `${i}:${interventionText(d as Intervention)}`)
    .join((e) =>
      e.append('li').each(function (iv, i) {
        select(this).append('span').attr('class', 'chip-text').text(interventionText(iv));
        chipRemove(i, iv, h)(this);
      }),
    )
    .attr('class', (d) => `chip ${d.kind}`)
    .attr('data-index', (_, i) => i);
  chips.order();
  root.select('p.chips-empty').attr('hidden', state.interventions.length ? '' : null);
  root.select('#clear-interventions').attr('hidden', state.interventions.length ? null : '');
  root.select('div.form-error').text(state.formError ?? '');
}
