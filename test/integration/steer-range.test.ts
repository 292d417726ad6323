// demo's default coefficient is in the range where steering is specific on the model shipped:
// the persona steer flips refusal and its norm-matched random control neither flips it nor
// breaks the text (measured, since the organism is retrained; bench/steer-range.ts prints the
// whole range). And demo's run 6 caps the compliant persona at a percentile of the reference set.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

process.env.XDG_CACHE_HOME = mkdtempSync(join(tmpdir(), 'rl-rangecache-'));

import { loadDirection, loadModel } from '../../src/engine/index';
import { builtinModelFolder } from '../../src/engine/builtin';
import { loadPromptSet, rowPrompt, withSystem } from '../../src/engine/experiments/dataset';
import { isSpecific, measureSteerRange, steerRangeTable } from '../../src/engine/experiments/steer-range';
import { DEMO_DEFAULTS } from '../../src/cli/commands/demo';
import { DEFAULT_STEER_TEXT } from '../../src/protocol/defaults';
import { parseCoefficient } from '../../src/cli/interventions';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/command';

test("demo's default coefficient is specific on the built-in model: persona flips refusal, the random control does not, and stays fluent", async () => {
  const folder = builtinModelFolder();
  const model = await loadModel(folder);
  try {
    const persona = await loadDirection(join(folder, 'axes/persona.safetensors'), model);
    const { coefficient, unit } = parseCoefficient(DEMO_DEFAULTS.coefficient, 'demo default');
    assert.equal(unit, 'norm');
    const prompts = loadPromptSet('builtin:harmful', { limit: 12 }).rows.map((r) => rowPrompt({ ...r, messages: withSystem(r.messages, DEMO_DEFAULTS.defaultSystem) }));
    const layers = Array.from({ length: model.summary.layers }, (_, l) => l);
    // c = 0 is the baseline the flip is measured against: the default persona must refuse.
    const rows = await measureSteerRange(model, persona, { coefficients: [0, coefficient], layers, positions: 'prompt', prompts, decoding: { maxNewTokens: 24 } });
    const table = steerRangeTable(rows);
    assert.ok(rows[0]!.persona.refusal >= 0.75, `the default persona refuses without steering\n${table}`);
    assert.ok(isSpecific(rows[1]!), `demo's ${DEMO_DEFAULTS.coefficient} is not specific\n${table}`);
  } finally {
    await model.dispose();
  }
});

test(`demo: run 5 steers ${DEFAULT_STEER_TEXT} (resolved per layer), run 6 caps the compliant persona at p75 and says what the bounds became`, async () => {
  let out = '';
  let err = '';
  const io: CliIO = { out: (t) => void (out += t), err: (t) => void (err += t), color: false, signal: new AbortController().signal };
  const html = join(mkdtempSync(join(tmpdir(), 'rl-demo6-')), 'r.html');
  assert.equal(await main(['demo', 'builtin', '-n', '8', '--out', html], io), 0, err);
  assert.match(out, new RegExp(`^5\\. Default persona, steered toward the compliant persona \\(c = ${DEFAULT_STEER_TEXT.replace('.', '\\.')}\\)\\n[^]*?^ {2}resolved {2}steer persona \\+\\d\\.\\d+ @ L0 \\(prompt\\); `, 'm'));
  assert.match(out, /^6\. Compliant persona, persona axis capped \(cap persona ≤ p75\)\n[^]*?^ {2}resolved {2}cap persona ≤ -?\d[\d.]* @ L0; /m);
  assert.match(readFileSync(html, 'utf8'), /6\. Compliant persona, persona axis capped/);
  let bad = '';
  const badIo: CliIO = { ...io, out: () => undefined, err: (t) => void (bad += t) };
  assert.equal(await main(['demo', 'builtin', '--cap', 'p75', '-n', '2', '--out', html], badIo), 2);
  assert.match(bad, /--cap 'p75': expected LO:HI/);
});
