// The receipt as text for people: a Markdown page, a booktabs LaTeX table ready for a paper,
// and CSV for spreadsheets. Pure functions of the receipt, so they are as deterministic as it is.
// Every string from outside (names, titles, prompts, paths) goes through src/engine/report/escape.
import { describeIntervention as describe, type Intervention } from '../../protocol/interventions';
import { csvRow, latexEscape, markdownCode, markdownText } from '../report/escape';
import { formatLayers } from './layers';
import { LABELS, type ConditionResult, type Receipt, type SweepResult } from './receipt';

/** Interventions read as everywhere else: the registry's one description. */
export const describeIntervention = (iv: Intervention): string => describe(iv);

const pct = (x: number) => (100 * x).toFixed(1);
const score = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '—');
/** Text placed after other text on its line (cells, labels); a paragraph of its own uses markdownText(s). */
const md = (s: string) => markdownText(s, false);

export { latexEscape };

function interventionsText(c: ConditionResult): string {
  return c.interventions.length ? c.interventions.map(describeIntervention).join('; ') : 'none';
}

export function receiptMarkdown(r: Receipt): string {
  const out: string[] = [];
  out.push(`# Refusal receipt: ${md(r.title)}`, '');
  if (r.description) out.push(markdownText(r.description), '');
  out.push(
    `- model: **${md(r.model.name)}** (${md(r.model.modelType)}, ${r.model.layers} layers, d_model ${r.model.dModel}, ${md(r.model.dtype)})`,
    `- graph sha256: ${markdownCode(r.model.graphHash)}`,
    `- tokenizer + chat template sha256: ${markdownCode(r.model.tokenizerHash)}`,
    `- decoding: ${md(decodingText(r))}; batch size ${r.batchSize}`,
    ...(r.degenerateCheck
      ? [`- degenerate check: text checks, and mean log-prob per token under the unsteered model against its reference ${r.degenerateCheck.reference} (margins ${r.degenerateCheck.margins.floor} / ${r.degenerateCheck.margins.unfinished} unfinished / ${r.degenerateCheck.margins.withDefect} with a text defect)`]
      : []),
    `- condition file: ${markdownCode(r.conditionFile.file)} (sha256 ${markdownCode(r.conditionFile.sha256)})`,
    `- receipt hash: ${markdownCode(r.hash)} (refusal-lens ${md(r.toolVersion)})`,
    '',
    '## Prompt sets',
    '',
    '| set | source | rows | sha256 | system prompt override |',
    '|---|---|---:|---|---|',
    ...r.sets.map((s) => `| ${md(s.name)} | ${md(s.source)} | ${s.count} | ${markdownCode(s.sha256.slice(0, 16) + '…', true)} | ${s.system ? md(s.system) : '—'} |`),
    '',
  );
  const skipped = r.sets.filter((s) => s.skipped.length);
  for (const s of skipped) out.push(`Skipped in ${md(s.name)}: ${s.skipped.map(md).join('; ')}`, '');
  if (r.axes.length) {
    out.push('## Axes', '', '| axis | source | sha256 |', '|---|---|---|');
    for (const a of r.axes) {
      const src = a.kind === 'file' ? `${md(a.file)} (${md(a.method)}, ${md(a.positions)})` : `random, norm-matched to ${md(a.randomLike)}, seed ${a.seed}`;
      out.push(`| ${md(a.name)} | ${src} | ${markdownCode(a.sha256.slice(0, 16) + '…', true)} |`);
    }
    out.push('');
  }
  out.push('## Conditions', '', 'Rates in %, with 95% Wilson intervals.', '');
  out.push(conditionTable(r.conditions, false));
  for (const s of r.sweeps) out.push('', `## Sweep: ${md(s.name)}`, '', sweepIntro(s), '', conditionTable(s.points, true));
  out.push('', '## System prompts', '');
  const seen = new Set<string>();
  for (const c of [...r.conditions, ...r.sweeps.flatMap((s) => s.points)]) {
    for (const p of c.systemPrompts) {
      if (seen.has(p)) continue;
      seen.add(p);
      out.push(`- ${p === '' ? '(none)' : markdownCode(p)}`);
    }
  }
  return out.join('\n') + '\n';
}

function decodingText(r: Receipt): string {
  const d = r.decoding;
  const parts = [`max ${d.maxNewTokens} new tokens`, d.temperature ? `temperature ${d.temperature}` : 'greedy'];
  if (d.topK !== undefined) parts.push(`top-k ${d.topK}`);
  if (d.topP !== undefined) parts.push(`top-p ${d.topP}`);
  if (d.seed !== undefined) parts.push(`seed ${d.seed}`);
  if (d.stopAtEos === false) parts.push('no stop at EOS');
  return parts.join(', ');
}

function sweepIntro(s: SweepResult): string {
  return `Window of ${s.size} layer${s.size === 1 ? '' : 's'}, stride ${s.stride}, moving ${markdownCode(JSON.stringify(s.moving))} on set ${md(s.set)}.`;
}

function conditionTable(rows: (ConditionResult & { window?: number[] })[], sweep: boolean): string {
  const head = `| ${sweep ? 'window | ' : ''}condition | set | n | refusal | bypass | degenerate | mean refusal score | interventions |`;
  const rule = `|${sweep ? '---|' : ''}---|---|---:|---|---|---|---:|---|`;
  const cell = (c: ConditionResult, l: (typeof LABELS)[number]) => `${pct(c.rates[l].rate)} [${pct(c.rates[l].lo)}, ${pct(c.rates[l].hi)}]`;
  const body = rows.map(
    (c) => `| ${sweep ? `L${formatLayers(c.window ?? [])} | ` : ''}${md(c.name)} | ${md(c.set)} | ${c.n} | ${LABELS.map((l) => cell(c, l)).join(' | ')} | ${score(c.meanRefusalScore)} | ${md(interventionsText(c))} |`,
  );
  return [head, rule, ...body].join('\n');
}

/** A booktabs table (needs \usepackage{booktabs}); rates in % with 95% Wilson intervals. */
export function receiptLatex(r: Receipt): string {
  const row = (c: ConditionResult & { window?: number[] }) => {
    const name = c.window ? `${latexEscape(c.name)} (L${formatLayers(c.window)})` : latexEscape(c.name);
    const cells = LABELS.map((l) => `${pct(c.rates[l].rate)} {\\scriptsize [${pct(c.rates[l].lo)}, ${pct(c.rates[l].hi)}]}`);
    return `${name} & ${c.n} & ${cells.join(' & ')} & ${Number.isFinite(c.meanRefusalScore) ? c.meanRefusalScore.toFixed(2) : '--'} \\\\`;
  };
  const lines = [
    '% Generated by refusal-lens ablate; needs \\usepackage{booktabs}.',
    `% receipt ${latexEscape(r.hash)}`,
    '\\begin{table}[t]',
    '\\centering',
    '\\small',
    '\\begin{tabular}{lrrrrr}',
    '\\toprule',
    'Condition & $n$ & Refusal (\\%) & Bypass (\\%) & Degenerate (\\%) & Refusal score \\\\',
    '\\midrule',
    ...r.conditions.map(row),
  ];
  for (const s of r.sweeps) lines.push('\\midrule', `\\multicolumn{6}{l}{\\emph{${latexEscape(s.name)}}} \\\\`, ...s.points.map(row));
  lines.push(
    '\\bottomrule',
    '\\end{tabular}',
    `\\caption{${latexEscape(r.title)}: label rates on ${latexEscape(r.model.name)} with 95\\% Wilson intervals (${latexEscape(decodingText(r))}).}`,
    '\\end{table}',
  );
  return lines.join('\n') + '\n';
}

/** One row per condition and per sweep point. */
export function receiptCsv(r: Receipt): string {
  const head = ['kind', 'name', 'set', 'window', 'n', ...LABELS.flatMap((l) => [`${l}_count`, `${l}_rate`, `${l}_lo`, `${l}_hi`]), 'mean_refusal_score', 'interventions'];
  const row = (kind: string, c: ConditionResult & { window?: number[] }, name: string) => csvRow([
    kind, name, c.set, c.window ? formatLayers(c.window) : '', c.n,
    ...LABELS.flatMap((l) => [c.rates[l].count, c.rates[l].rate, c.rates[l].lo, c.rates[l].hi]),
    c.meanRefusalScore,
    interventionsText(c),
  ]);
  const lines = [csvRow(head), ...r.conditions.map((c) => row('condition', c, c.name))];
  for (const s of r.sweeps) lines.push(...s.points.map((p) => row('sweep', p, s.name)));
  return lines.join('\n') + '\n';
}
