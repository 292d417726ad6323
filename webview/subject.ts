// The inspector's subject line and stale marking: what the shown run was of (prompt file or
// dataset row, system and user text, model, device, the interventions *this* run used) and,
// when the view no longer matches the settings, a banner that says so and dims the readouts.

import { select, type Selection } from 'd3-selection';
import type { Intervention, TraceResult } from '../src/protocol/types';
import type { RunSubject } from '../src/protocol/webview';
import { interventionText } from './format';
import { staleness, type InspectorState, type Staleness } from './state';

/** "Prompt file examples/a.rlprompt" / "Dataset row set.jsonl line 12 · id r-7". */
export function subjectSource(s: RunSubject): string {
  if (s.kind === 'dataset-row') return `Dataset row ${s.file}${s.line !== undefined ? ` line ${s.line}` : ''}${s.id ? ` · id ${s.id}` : ''}`;
  return `Prompt file ${s.file}`;
}

/** What ran, in words: the run's own interventions (after a control's swap), or none. */
export function runInterventionsText(ivs: Intervention[]): string {
  return ivs.length ? ivs.map(interventionText).join('; ') : 'none (the plain model)';
}

export function controlText(s: RunSubject): string | undefined {
  const c = s.control;
  if (!c) return undefined;
  return `Random control: ${c.axis} replaced by ${c.name}, a random direction with ${c.axis}'s norm at each layer (seed ${c.seed}). Compare with the run on ${c.axis} itself.`;
}

/** The banner text, or undefined when the view is current. */
export function staleText(st: Staleness | undefined, busy: boolean): string | undefined {
  if (!st) return undefined;
  const parts: string[] = [];
  if (st.failed) parts.push('the last request failed (see the message above); this is the run before it');
  if (st.interventionsChanged) parts.push(busy ? 'the interventions changed since this run; rerunning with the new ones' : 'the interventions changed since this run; it reruns with them (or press Rerun)');
  return `Stale: ${parts.join('; ')}.`;
}

type Block = Selection<HTMLElement, unknown, null, undefined>;

function row(parent: Block, cls: string, label: string, text: string | undefined): void {
  const r = parent.select(`div.${cls}`).attr('hidden', text === undefined ? '' : null);
  r.select('span.k').text(label);
  r.select('span.v').text(text ?? '');
}

/** Fill the subject block (built once in the skeleton by `buildSubject`). */
export function renderSubject(block: HTMLElement, state: InspectorState, run: TraceResult | undefined): void {
  const s = state.subject;
  const root: Block = select(block).attr('hidden', run && s ? null : '');
  const st = staleness(state);
  root.attr('data-stale', st ? (st.failed ? 'failed' : 'interventions') : null).classed('control-run', !!s?.control);
  select(block.parentElement).classed('stale', !!st);
  const banner = staleText(st, state.busy);
  select(block.parentElement).select('div.stale-banner').attr('hidden', banner ? null : '').text(banner ?? '');
  if (!s || !run) return;
  root.select('div.subject-source').text(subjectSource(s));
  root.select('div.control-note').attr('hidden', s.control ? null : '').text(controlText(s) ?? '');
  row(root, 'subject-system', 'System', s.system ?? '(none)');
  row(root, 'subject-user', 'User', s.user);
  row(root, 'subject-prefill', 'Prefill', s.prefill);
  row(root, 'subject-model', 'Model', `${s.model}${s.device ? ` · ${s.device}` : ''}`);
  row(root, 'subject-interventions', 'Interventions of this run', runInterventionsText(run.interventions));
}

export function buildSubject(parent: HTMLElement): HTMLElement {
  // the banner sits outside the subject so it can stay pinned to the top while the page scrolls
  select(parent).append('div').attr('class', 'stale-banner').attr('role', 'status').attr('hidden', '');
  const block = select(parent).append('section').attr('class', 'subject').attr('aria-label', 'What this run is of');
  block.append('div').attr('class', 'subject-source');
  block.append('div').attr('class', 'control-note');
  for (const cls of ['subject-system', 'subject-user', 'subject-prefill', 'subject-model', 'subject-interventions']) {
    const r = block.append('div').attr('class', `kv ${cls}`);
    r.append('span').attr('class', 'k');
    r.append('span').attr('class', 'v');
  }
  return block.node()!;
}
