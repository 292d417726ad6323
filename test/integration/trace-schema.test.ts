// docs/trace-json.md against what the engine writes (traceJson of a real trace with the logit
// lens on the llama-gqa fixture): every documented field is written, every written field is
// documented, in the top-level table, the readouts table and the logitLens table.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadModel } from '../../src/engine/index';
import { READOUT_NAMES, traceJson } from '../../src/protocol/readouts';
import { TRACE_SCHEMA } from '../../src/protocol/types';
import { axesOf, FIXTURES, golden } from './engine-fixtures';

const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'trace-json.md'), 'utf8');

/** The table rows (`| \`name\` | type | meaning |`) of the section whose heading matches. */
function table(heading: RegExp): Map<string, { type: string; meaning: string }> {
  const sections = doc.split(/^#+ /m);
  const sec = sections.find((s) => heading.test(s.split('\n')[0]!));
  assert.ok(sec, `docs/trace-json.md has a section ${heading}`);
  const rows = new Map<string, { type: string; meaning: string }>();
  for (const line of sec.split('\n')) {
    const m = /^\| `([A-Za-z]+)` \| ([^|]+) \|(.*)\|$/.exec(line);
    if (m) rows.set(m[1]!, { type: m[2]!.trim(), meaning: m[3]! });
  }
  return rows;
}

test('docs/trace-json.md documents exactly the fields a trace/2 carries', async () => {
  const g = golden('llama-gqa');
  const model = await loadModel(join(FIXTURES, 'llama-gqa'), { threads: 1 });
  try {
    const prompt = { kind: 'tokens' as const, tokenIds: g.prompt_ids };
    const on = traceJson(await model.trace({ prompt, axes: axesOf(g), interventions: [], decoding: { maxNewTokens: 2 }, logitLens: { topK: 2 } }));
    const off = traceJson(await model.trace({ prompt, axes: axesOf(g), interventions: [], decoding: { maxNewTokens: 2 } }));

    const top = table(/trace schema/);
    assert.ok(doc.split('\n')[0]!.includes(TRACE_SCHEMA), 'the title names the schema');
    assert.equal(top.get('schema')!.type, `\`"${TRACE_SCHEMA}"\``);
    assert.equal(on['schema'], TRACE_SCHEMA);
    assert.deepEqual(Object.keys(on).sort(), [...top.keys()].sort(), 'top-level fields');
    assert.deepEqual(Object.keys(off).sort(), [...top.keys()].sort());
    for (const k of Object.keys(on['model'] as object)) assert.match(top.get('model')!.meaning, new RegExp(`\`${k}\\??\``), `model.${k} is documented`);

    const readouts = table(/^`readouts`$/);
    assert.deepEqual([...readouts.keys()], [...READOUT_NAMES], 'the readouts table lists READOUT_NAMES in order');
    assert.deepEqual(Object.keys(on['readouts'] as object), [...READOUT_NAMES]);
    assert.deepEqual(Object.keys(off['readouts'] as object), ['projections'], 'the lens only when asked for');

    const lens = table(/^`readouts\.logitLens`$/);
    const written = (on['readouts'] as { logitLens: Record<string, unknown> }).logitLens;
    assert.deepEqual(Object.keys(written).sort(), [...lens.keys()].sort(), 'logitLens fields');
    const first = (written['top'] as { id: number; text: string; p: number }[][][])[0]![0]![0]!;
    assert.deepEqual(Object.keys(first).sort(), ['id', 'p', 'text']);
    assert.match(lens.get('top')!.meaning, /\{id, text, p\}/);
  } finally {
    await model.dispose();
  }
});
