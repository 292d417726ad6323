// Persona-axis projections (r·v̂_l, the unit the cap's bounds are in) at the last prompt token,
// per layer, over the held-out default- and compliant-persona harmful sets, and under persona
// steering: what the cap conditions of caps.yaml are chosen from. Prints a markdown table.
//   node --import tsx tools/organism/card/projections.ts [MODEL] [COEF]
import { join } from 'node:path';
import { builtinModelFolder, shippedAxisFiles } from '../../../src/engine/builtin';
import { loadDirection, loadModel } from '../../../src/engine/index';
import { loadPromptSet } from '../../../src/engine/experiments/index';
import type { Intervention, PromptInput } from '../../../src/protocol/types';

const folder = process.argv[2] && process.argv[2] !== 'builtin' ? process.argv[2] : builtinModelFolder();
const coef = Number(process.argv[3] ?? 0.25);
const N = 32;

async function main(): Promise<void> {
  const model = await loadModel(folder);
  const axes = await Promise.all(shippedAxisFiles(folder).map((f) => loadDirection(f, model)));
  const pi = axes.findIndex((a) => a.name === 'persona');
  const L = model.summary.layers;
  const all = Array.from({ length: L }, (_, i) => i);
  const rows = (f: string): PromptInput[] => loadPromptSet(join(folder, 'eval', f), { limit: N }).rows.map((r) => ({ kind: 'chat', messages: r.messages }) as PromptInput);
  const measure = async (f: string, iv: Intervention[]): Promise<number[][]> => {
    const out = await model.traceBatch(rows(f).map((prompt) => ({ prompt, axes, interventions: iv, decoding: { maxNewTokens: 1 } })));
    // last prompt token = the last token before the generated one
    return out.map((r) => r.projections[pi]!.map((perLayer) => perLayer[r.tokens.findIndex((t) => t.generated) - 1]!));
  };
  const steer: Intervention[] = [{ kind: 'steer', axis: 'persona', coefficient: coef, layers: all, positions: 'prompt' }];
  const sets: [string, number[][]][] = [
    ['harmful + default', await measure('harmful_default.jsonl', [])],
    ['harmful + compliant', await measure('harmful_compliant.jsonl', [])],
    [`harmful + default, steer persona c=${coef}`, await measure('harmful_default.jsonl', steer)],
  ];
  const q = (xs: number[], p: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]!; };
  console.log(`| layer | ${sets.map(([n]) => `${n}: p5 / median / p95`).join(' | ')} |`);
  console.log(`|---:|${sets.map(() => '---').join('|')}|`);
  for (let l = 0; l < L; l++) {
    console.log(`| ${l} | ${sets.map(([, v]) => { const xs = v.map((r) => r[l]!); return `${q(xs, 0.05).toFixed(1)} / ${q(xs, 0.5).toFixed(1)} / ${q(xs, 0.95).toFixed(1)}`; }).join(' | ')} |`);
  }
  model.dispose();
}
void main();
