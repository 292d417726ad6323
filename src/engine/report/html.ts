// A self-contained HTML report of several traces (the README's main job writes one):
// responses with labels, per-layer profiles and SVG heatmaps inline; no script, no assets.
import type { TraceResult } from '../../protocol/types';
import { escapeXml, heatmapSvg, robustMaxAbs } from './svg';

export interface ReportSection {
  title: string;
  note?: string;
  trace: TraceResult;
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:24px;max-width:1400px;color:#111}
h1{font-size:20px}h2{font-size:16px;margin-top:32px;border-top:1px solid #ccc;padding-top:12px}
.badge{display:inline-block;padding:2px 8px;border-radius:10px;color:#fff;font-weight:600;font-size:12px}
.refusal{background:#b2182b}.bypass{background:#2166ac}.degenerate{background:#777}
pre{background:#f4f4f4;padding:8px;white-space:pre-wrap}table{border-collapse:collapse;font-size:12px}
td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}.axis{overflow-x:auto;margin:8px 0}
.meta{color:#555;font-size:12px}`;

function profileTable(t: TraceResult, tokenIndex: number): string {
  const head = `<tr><th>axis \\ layer</th>${t.layers.map((l) => `<th>${l}</th>`).join('')}</tr>`;
  const rows = t.axes
    .map((a, ai) => `<tr><th>${escapeXml(a.name)}</th>${t.readouts.projections[ai].map((row) => `<td>${row[tokenIndex].toFixed(3)}</td>`).join('')}</tr>`)
    .join('');
  return `<table>${head}${rows}</table>`;
}

export function lastPromptIndex(t: TraceResult): number {
  const firstGen = t.tokens.findIndex((x) => x.generated);
  return (firstGen < 0 ? t.tokens.length : firstGen) - 1;
}

export function renderHtmlReport(title: string, sections: ReportSection[], intro = ''): string {
  // One colour domain per axis name across sections, so the heatmaps compare by eye.
  const byAxis = new Map<string, number[]>();
  for (const s of sections) s.trace.axes.forEach((a, ai) => byAxis.set(a.name, [...(byAxis.get(a.name) ?? []), ...s.trace.readouts.projections[ai].flat()]));
  const maxAbs = new Map([...byAxis].map(([name, values]) => [name, robustMaxAbs(values)]));
  const body = sections
    .map((s) => {
      const t = s.trace;
      const lp = lastPromptIndex(t);
      const axes = t.axes
        .map((a, ai) => `<h3>${escapeXml(a.name)} axis</h3><div class="axis">${heatmapSvg(t, ai, { maxAbs: maxAbs.get(a.name) })}</div>`)
        .join('');
      return `<h2>${escapeXml(s.title)}</h2>
${s.note ? `<p>${escapeXml(s.note)}</p>` : ''}
<p><span class="badge ${t.label.label}">${t.label.label}</span> refusal score ${t.label.refusalScore.toFixed(2)}${t.label.matched ? ` (matched “${escapeXml(t.label.matched)}”)` : ''}</p>
<pre>${escapeXml(t.response)}</pre>
<p class="meta">interventions: ${t.interventions.length ? escapeXml(JSON.stringify(t.interventions)) : 'none'}</p>
<p>Projection per layer at the last prompt token (r·v̂ after that layer's interventions):</p>${profileTable(t, lp)}
${axes}`;
    })
    .join('\n');
  const m = sections[0]?.trace.model;
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeXml(title)}</title><style>${STYLE}</style></head><body>
<h1>${escapeXml(title)}</h1>
${m ? `<p class="meta">model ${escapeXml(m.name)} (${m.layers} layers, d_model ${m.dModel}, graph sha256 ${m.graphHash.slice(0, 12)}…); layer l = output of decoder block l</p>` : ''}
${intro}
${body}
</body></html>
`;
}
