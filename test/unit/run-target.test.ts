// One order for what a run uses (src/engine/run-target.ts), shared by the CLI (src/cli/load.ts)
// and the editor (Controller.target): explicit choice, prompt file, settings, then built-in.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { resolveRunTarget } from '../../src/engine/run-target';

const root = mkdtempSync(path.join(tmpdir(), 'rl-run-target-'));
const builtin = path.join(root, 'builtin');
const other = path.join(root, 'other');
for (const [folder, names] of [[builtin, ['persona', 'refusal']], [other, ['trait']]] as const) {
  mkdirSync(path.join(folder, 'axes'), { recursive: true });
  for (const n of names) writeFileSync(path.join(folder, 'axes', `${n}.safetensors`), '');
}
const promptDir = path.join(root, 'prompts');
const settingsAxis = path.join(root, 'mine', 'honesty.safetensors');

test('with nothing said: the built-in model and every axis it ships', () => {
  const t = resolveRunTarget({ builtinFolder: builtin });
  assert.equal(t.folder, builtin);
  assert.deepEqual(t.axisFiles.map((f) => path.basename(f)), ['persona.safetensors', 'refusal.safetensors']);
  assert.deepEqual(t.from, { model: 'default', axes: 'default' });
  assert.equal(t.dtype, undefined);
});

test('each source replaces the less specific ones, never merges with them', () => {
  const settings = { model: other, dtype: 'fp16', axes: [settingsAxis] };
  const s = resolveRunTarget({ builtinFolder: builtin, settings });
  assert.deepEqual([s.folder, s.dtype, s.axisFiles, s.from], [other, 'fp16', [settingsAxis], { model: 'settings', axes: 'settings' }]);

  const prompt = { model: '../other', axes: ['persona', 'v/extra.safetensors'], dir: promptDir };
  const p = resolveRunTarget({ builtinFolder: builtin, settings: { ...settings, model: 'builtin' }, prompt: { ...prompt, model: 'builtin' } });
  // a prompt's axis names resolve against the chosen model's shipped axes and the settings' files; paths against the file's folder
  assert.deepEqual(p.axisFiles, [path.join(builtin, 'axes', 'persona.safetensors'), path.join(promptDir, 'v', 'extra.safetensors')]);
  assert.deepEqual(p.from, { model: 'prompt', axes: 'prompt' });
  assert.equal(resolveRunTarget({ builtinFolder: builtin, prompt: { model: prompt.model, dir: promptDir } }).folder, other, 'a prompt model path is relative to the prompt file');
  // names resolve against the model the run will use: other ships no persona
  assert.throws(() => resolveRunTarget({ builtinFolder: builtin, prompt }), /axis 'persona' is neither .*\(trait\)/);
  assert.deepEqual(resolveRunTarget({ builtinFolder: builtin, settings, prompt: { axes: ['honesty'], dir: promptDir } }).axisFiles, [settingsAxis]);

  const e = resolveRunTarget({ builtinFolder: builtin, settings, prompt, explicit: { model: 'builtin', dtype: 'q8', axes: ['/x/a.safetensors'] } });
  assert.deepEqual([e.folder, e.dtype, e.axisFiles, e.from], [builtin, 'q8', ['/x/a.safetensors'], { model: 'explicit', axes: 'explicit' }]);
});

test("settings' dtype auto means the model's own; the shipped axes follow the chosen folder", () => {
  const t = resolveRunTarget({ builtinFolder: builtin, settings: { model: other, dtype: 'auto' } });
  assert.equal(t.dtype, undefined);
  assert.deepEqual(t.axisFiles.map((f) => path.basename(f)), ['trait.safetensors']);
});

test('a prompt axis that is neither a path nor a known name is refused by name, listing the known ones', () => {
  assert.throws(() => resolveRunTarget({ builtinFolder: builtin, prompt: { axes: ['personna'], dir: promptDir } }), /axis 'personna' is neither a vector file path .* nor an axis .*\(persona, refusal\)/);
});
