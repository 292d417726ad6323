// Where steering is specific on a model (default the built-in one): refusal and degenerate rates
// of the built-in harmful set under the default persona, steered along the persona axis and its
// norm-matched random control at norm coefficients (multiples of the mean residual norm).
// node --import tsx bench/steer-range.ts [model-folder] [--layers 0-5] [--positions prompt] [--n 24] [--c 0.05,0.1,...]
import * as path from 'node:path';
import { loadDirection, loadModel } from '../src/engine/index';
import { builtinModelFolder } from '../src/engine/builtin';
import { loadPromptSet, rowPrompt, withSystem } from '../src/engine/experiments/dataset';
import { parseLayerSpec } from '../src/engine/prompts/index';
import { isSpecific, measureSteerRange, steerRangeTable } from '../src/engine/experiments/steer-range';
import { DEMO_DEFAULTS } from '../src/cli/commands/demo';
import type { Positions } from '../src/protocol/types';

async function main() {
  const argv = process.argv.slice(2);
  const opt = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv.splice(i, 2)[1] : undefined;
  };
  const layers = opt('layers');
  const positions = (opt('positions') ?? 'prompt') as Positions;
  const n = Number(opt('n') ?? 24);
  const cs = (opt('c') ?? '0.02,0.05,0.1,0.15,0.2,0.3,0.5,1').split(',').map(Number);
  const folder = argv[0] ? path.resolve(argv[0]) : builtinModelFolder();
  const model = await loadModel(folder);
  try {
    const persona = await loadDirection(path.join(folder, 'axes/persona.safetensors'), model);
    const L = model.summary.layers;
    const set = loadPromptSet('builtin:harmful', { limit: n });
    const prompts = set.rows.map((r) => rowPrompt({ ...r, messages: withSystem(r.messages, DEMO_DEFAULTS.defaultSystem) }));
    const rows = await measureSteerRange(model, persona, {
      coefficients: cs,
      layers: layers ? parseLayerSpec(layers, L) : Array.from({ length: L }, (_, l) => l),
      positions,
      prompts,
      decoding: { maxNewTokens: 24 },
    });
    console.log(`${model.summary.name}: ${prompts.length} harmful prompts, system ${JSON.stringify(DEMO_DEFAULTS.defaultSystem)}, layers ${layers ?? 'all'}, positions ${positions}`);
    console.log(steerRangeTable(rows));
    const ok = rows.filter((r) => isSpecific(r)).map((r) => r.coefficient);
    console.log(ok.length ? `specific: ${ok.map((c) => `${c}n`).join(', ')}` : 'no coefficient is specific');
  } finally {
    await model.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
