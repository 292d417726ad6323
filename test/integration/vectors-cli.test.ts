// The vectors commands and render conditions through the real CLI: every `refusal-lens vectors`
// command of the README's format table runs (spawned, as a user would), extract records its render
// conditions, and applying a vector under other conditions warns without failing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { main } from '../../src/cli/main';
import { readDirection, writeDirection, writeSafetensors } from '../../src/engine/directions/index';
import { writeGguf } from '../../src/engine/directions/formats/gguf';
import { writeNpy } from '../../src/engine/directions/formats/npy';

const ROOT = path.join(__dirname, '..', '..');
const FIX = path.join(ROOT, 'test', 'fixtures', 'vectors');
const fixture = path.join(ROOT, 'test', 'fixtures', 'models', 'llama-gqa');
const run = promisify(execFile);

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t), color: false, signal: new AbortController().signal });
  return { code, out, err };
}

test('extract records chat template hash, system prompts and positions; other conditions warn, not fail', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rl-vcli-'));
  const p = path.join(dir, 'persona.safetensors');
  const e = await cli('extract', fixture, '--builtin', 'persona', '--limit', '2', '--out', p);
  assert.equal(e.code, 0, e.err);
  const d = await readDirection(p);
  assert.match(d.meta.other?.render_template_sha256 ?? '', /^[0-9a-f]{64}$/);
  const systems = JSON.parse(d.meta.other!.render_system_prompts!) as string[];
  assert.ok(systems.length >= 2 && systems.every((s) => typeof s === 'string' && s.length > 0), 'the sets\' system prompts');
  assert.equal(d.meta.positions, 'last_prompt');
  // the same system prompt as one used in extraction: no render warning
  const same = await cli('trace', fixture, '--axis', p, '--system', systems[0]!, '-t', 'hi', '-n', '1');
  assert.equal(same.code, 0, same.err);
  assert.doesNotMatch(same.err, /extracted with/);
  // another system prompt: a warning naming the file, and the trace still runs
  const other = await cli('trace', fixture, '--axis', p, '--system', 'You are a pirate.', '-t', 'hi', '-n', '1');
  assert.equal(other.code, 0, other.err);
  assert.match(other.err, new RegExp(`warning: ${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: extracted with .*applied with "You are a pirate\\."`));
  const none = await cli('trace', fixture, '--axis', p, '-t', 'hi', '-n', '1');
  assert.match(none.err, /applied with none/);
  // --strict turns the warning into a refusal before anything runs
  assert.equal((await cli('trace', fixture, '--axis', p, '--system', 'You are a pirate.', '-t', 'hi', '-n', '1', '--strict')).code, 1);
  // another chat template
  d.meta.other = { ...d.meta.other, render_template_sha256: 'f'.repeat(64) };
  const moved = path.join(dir, 'moved.safetensors');
  await writeDirection(moved, { ...d, file: moved });
  const t = await cli('trace', fixture, '--axis', moved, '--system', systems[0]!, '-t', 'hi', '-n', '1');
  assert.equal(t.code, 0, t.err);
  assert.match(t.err, /moved\.safetensors: extracted under chat template ffffffffffff…, applied under [0-9a-f]{12}…/);
});

test('a prompt file may name a .npy / .pt axis by path, and steer with it', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rl-vprompt-'));
  writeFileSync(path.join(dir, 'steer.npy'), writeNpy(Float32Array.from({ length: 4 * 32 }, (_, i) => Math.sin(i) + 0.1), [4, 32]));
  const prompt = path.join(dir, 'p.rlprompt');
  writeFileSync(prompt, JSON.stringify({ user: 'hi', axes: ['steer.npy'], interventions: [{ kind: 'steer', axis: 'steer', coefficient: 2, layers: '1-2' }], decoding: { maxNewTokens: 1 } }));
  const r = await cli('trace', fixture, '--prompt', prompt, '--json');
  assert.equal(r.code, 0, r.err);
  const t = JSON.parse(r.out) as { axes: Array<{ name: string }>; interventions: unknown[] };
  assert.deepEqual(t.axes.map((a) => a.name), ['steer']);
  assert.equal(t.interventions.length, 1);
});

test("every `refusal-lens vectors` command in the README's format table runs", async () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('<!-- vectors-table -->'), readme.indexOf('<!-- /vectors-table -->'));
  const commands = [...section.matchAll(/`(refusal-lens vectors [^`]+)`/g)].map((m) => m[1]!);
  assert.ok(commands.length >= 10, `found ${commands.length} commands`);
  // The files the README names, as each tool writes them (fixtures by torch/numpy; GGUF and
  // Neuronpedia files by hand per their formats).
  const cwd = mkdtempSync(path.join(tmpdir(), 'rl-readme-'));
  cpSync(path.join(FIX, 'persona_evil_response_avg_diff.pt'), path.join(cwd, 'evil_response_avg_diff.pt'));
  cpSync(path.join(FIX, 'refusal_direction'), path.join(cwd, 'refusal_direction'), { recursive: true });
  cpSync(path.join(FIX, 'layers_dict.pt'), path.join(cwd, 'layers.pt'));
  cpSync(path.join(FIX, 'single_f64.npy'), path.join(cwd, 'steer.npy'));
  const v = Float32Array.from({ length: 128 }, (_, i) => Math.cos(i) + 0.5);
  writeFileSync(path.join(cwd, 'happy.gguf'), writeGguf([['general.architecture', { type: 'string', value: 'controlvector' }]], new Map([1, 2, 3, 4, 5].map((n) => [n, v] as const))));
  writeFileSync(path.join(cwd, 'mine.safetensors'), writeSafetensors([{ name: 'steer', dtype: 'F32', shape: [6, 128], data: new Uint8Array(Float32Array.from({ length: 768 }, (_, i) => 1 + (i % 7)).buffer) }], { name: 'mine' }));
  mkdirSync(path.join(cwd, 'neuronpedia'));
  writeFileSync(path.join(cwd, 'neuronpedia', 'vector.safetensors'), writeSafetensors([{ name: 'vector', dtype: 'F32', shape: [128], data: new Uint8Array(v.buffer) }]));
  writeFileSync(path.join(cwd, 'neuronpedia', 'vector.yaml'), 'label: calm\nmodel_id: organism\nlayer_num: 3\nhook_type: hook_resid_pre\nnormalize: true\ndefault_steer_strength: 8\nsystem_prompt: Be calm.\n');
  for (const c of commands) {
    const argv = c.split(/\s+/).slice(1);
    try {
      await run(process.execPath, [path.join(ROOT, 'bin', 'refusal-lens.js'), ...argv], { cwd, timeout: 30_000 });
    } catch (e) {
      assert.fail(`${c}\n${(e as { stderr?: string }).stderr ?? e}`);
    }
  }
});
