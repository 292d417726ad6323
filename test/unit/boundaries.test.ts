// The architecture's boundaries, checked on the sources and on the extension host's bundle:
// only src/extension imports vscode, only src/engine/runtime.ts imports onnxruntime-node, and
// the extension host's bundle never pulls the runtime in (it forks the worker for that).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import * as esbuild from 'esbuild';

const ROOT = join(__dirname, '..', '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const importsOf = (file: string, mod: string): boolean =>
  new RegExp(`(from\\s+|require\\(|import\\()['"]${mod.replace('/', '\\/')}['"]`).test(readFileSync(file, 'utf8'));

test('only src/extension imports vscode', () => {
  const offenders = [...sources(join(ROOT, 'src')), ...sources(join(ROOT, 'webview'))]
    .filter((f) => !relative(ROOT, f).startsWith(join('src', 'extension')))
    .filter((f) => importsOf(f, 'vscode'));
  assert.deepEqual(offenders.map((f) => relative(ROOT, f)), []);
});

test('only src/engine/runtime.ts imports onnxruntime-node (tests included: they use its helpers)', () => {
  const importers = [...sources(join(ROOT, 'src')), ...sources(join(ROOT, 'test'))].filter((f) => importsOf(f, 'onnxruntime-node'));
  assert.deepEqual(importers.map((f) => relative(ROOT, f)), [join('src', 'engine', 'runtime.ts')]);
});

test('the extension host bundle does not load onnxruntime or the tokenizer libraries', async () => {
  const r = await esbuild.build({
    entryPoints: [join(ROOT, 'src', 'extension', 'extension.ts')],
    bundle: true, write: false, platform: 'node', format: 'cjs', external: ['vscode'],
    mainFields: ['module', 'main'], logLevel: 'silent', metafile: true,
  });
  const inputs = Object.keys(r.metafile!.inputs);
  assert.ok(inputs.some((i) => i.includes('src/extension/')), 'bundled the extension sources');
  const leaked = inputs.filter((i) => /onnxruntime|@huggingface\/|src\/engine\/runtime\.ts/.test(i));
  assert.deepEqual(leaked, []);
});
