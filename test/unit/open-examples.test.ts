// Open Examples (src/extension/examples.ts): the shipped examples are copied into the workspace
// with the extension files they name (axes, schemas), the references rewritten so the copies
// work there; a second run leaves the user's edits alone. And the manifest runs the extension
// where the workspace is (Remote-SSH).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { loadConditionFile } from '../../src/engine/experiments/index';
import { parsePromptFile } from '../../src/engine/prompts/index';
import { copyExamples, EXAMPLES_FOLDER } from '../../src/extension/examples';

const ROOT = path.resolve(__dirname, '..', '..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'rl-examples-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

test('copies the examples and the extension files they name; references point at the copies', () => {
  const ext = path.join(tmp, 'ext');
  write(path.join(ext, 'schemas', 'conditions.schema.json'), '{}');
  write(path.join(ext, 'schemas', 'rlprompt.schema.json'), '{}');
  write(path.join(ext, 'media', 'models', 'organism', 'axes', 'persona.safetensors'), 'P');
  write(path.join(ext, 'examples', 'prompts', 'a.rlprompt'), '{ "$schema": "../../schemas/rlprompt.schema.json", "user": "hi" }');
  write(path.join(ext, 'examples', 'prompts', 'harmful-default.rlprompt'), '{ "$schema": "../../schemas/rlprompt.schema.json", "user": "x" }');
  write(
    path.join(ext, 'examples', 'conditions', 'gate.yaml'),
    [
      '# yaml-language-server: $schema=../../schemas/conditions.schema.json',
      'axes:',
      '  persona: ../../media/models/organism/axes/persona.safetensors',
      '  other: ../../media/nowhere.safetensors', // not in the extension: left as written
      '  local: axes/mine.safetensors', // inside the examples: copied as a file of its own
      '',
    ].join('\n'),
  );
  write(path.join(ext, 'examples', 'conditions', 'axes', 'mine.safetensors'), 'M');

  const ws = path.join(tmp, 'ws');
  const dest = path.join(ws, EXAMPLES_FOLDER);
  const res = copyExamples(ext, dest);
  // The plain case opens first.
  assert.deepEqual(res.prompts, [path.join(dest, 'prompts', 'harmful-default.rlprompt'), path.join(dest, 'prompts', 'a.rlprompt')]);
  assert.deepEqual(res.conditions, [path.join(dest, 'conditions', 'gate.yaml')]);
  assert.deepEqual(res.kept, []);
  const gate = readFileSync(path.join(dest, 'conditions', 'gate.yaml'), 'utf8');
  assert.match(gate, /\$schema=\.\.\/schemas\/conditions\.schema\.json/);
  assert.match(gate, /persona: \.\.\/media\/models\/organism\/axes\/persona\.safetensors/);
  assert.match(gate, /other: \.\.\/\.\.\/media\/nowhere\.safetensors/);
  assert.match(gate, /local: axes\/mine\.safetensors/);
  // Every rewritten reference resolves inside the copy.
  assert.equal(readFileSync(path.resolve(dest, 'conditions', '../media/models/organism/axes/persona.safetensors'), 'utf8'), 'P');
  assert.ok(existsSync(path.join(dest, 'schemas', 'conditions.schema.json')));
  assert.ok(existsSync(path.join(dest, 'schemas', 'rlprompt.schema.json')));
  assert.equal(readFileSync(path.join(dest, 'conditions', 'axes', 'mine.safetensors'), 'utf8'), 'M');
  assert.match(readFileSync(path.join(dest, 'prompts', 'a.rlprompt'), 'utf8'), /"\.\.\/schemas\/rlprompt\.schema\.json"/);
  assert.equal(res.written.length, 7, res.written.join('\n'));

  // Again, after the user edited a prompt: nothing is overwritten, nothing written twice.
  writeFileSync(path.join(dest, 'prompts', 'a.rlprompt'), '{ "user": "mine" }');
  const again = copyExamples(ext, dest);
  assert.deepEqual(again.written, []);
  assert.equal(again.kept.length, 7);
  assert.equal(readFileSync(path.join(dest, 'prompts', 'a.rlprompt'), 'utf8'), '{ "user": "mine" }');
});

test('an installation without examples says so', () => {
  assert.throws(() => copyExamples(path.join(tmp, 'empty-ext'), path.join(tmp, 'ws2')), /no examples .*reinstall/);
});

test("the repository's own examples, copied out of it, still parse and check", () => {
  const dest = path.join(tmp, 'ws3', EXAMPLES_FOLDER);
  const res = copyExamples(ROOT, dest);
  assert.ok(res.prompts.length >= 4);
  assert.ok(res.conditions.length >= 1);
  for (const f of res.prompts) {
    const { prompt, diagnostics } = parsePromptFile(readFileSync(f, 'utf8'), f, { nLayers: 6 });
    assert.deepEqual(diagnostics, [], f);
    assert.ok(prompt, f);
  }
  for (const f of res.conditions) {
    const plan = loadConditionFile(f);
    // The direction files it names exist, inside the copy: it runs from the workspace alone.
    for (const a of plan.axes) {
      if (a.kind !== 'file') continue;
      assert.ok(existsSync(a.file), `${f}: ${a.display} → ${a.file} does not exist`);
      assert.ok(!path.relative(dest, a.file).startsWith('..'), `${f}: ${a.file} is outside the copy`);
    }
  }
});

test('the extension runs where the workspace is (Remote-SSH: the worker runs on the remote host)', () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  assert.deepEqual(pkg.extensionKind, ['workspace']);
  assert.ok(pkg.contributes.commands.some((c: { command: string }) => c.command === 'refusalLens.openExamples'));
});
