// package.json's contributions against the code that uses them: a command registered but not
// contributed (or the reverse), a setting read but not declared, or a schema path that does
// not exist would only show up in a running editor. The sources are read as text because
// they import `vscode`, which plain Node cannot load.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ANNOTATE_POSITIONS, DEFAULT_ANNOTATE_BATCH, DEFAULT_ANNOTATE_POSITIONS } from '../../src/protocol/annotate';
import { LIMITS } from '../../src/protocol/limits';

const ROOT = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const src = (f: string) => readFileSync(path.join(ROOT, 'src', 'extension', f), 'utf8');
/** Registered but deliberately not in the palette. */
const INTERNAL = ['refusalLens.listInterventions'];

test('every registered command is contributed with the palette category, and nothing else is', () => {
  const registered = [...src('commands.ts').matchAll(/^\s{2}'(refusalLens\.[A-Za-z]+)': \(d\)/gm)].map((m) => m[1]!);
  assert.ok(registered.length >= 9, `found ${registered.length} registered commands`);
  const contributed = pkg.contributes.commands.map((c: { command: string }) => c.command);
  assert.deepEqual([...contributed].sort(), registered.filter((c) => !INTERNAL.includes(c)).sort());
  for (const c of pkg.contributes.commands) {
    assert.equal(c.category, 'Refusal Lens', c.command);
    assert.ok(c.title.length > 3, c.command);
  }
});

test('every setting the code reads is declared with a type and a description', () => {
  const code = src('config.ts');
  const read = [...code.matchAll(/(?:str|int|list)\('([a-zA-Z.]+)'/g), ...code.matchAll(/c\.get<\w+>\('([a-zA-Z.]+)'/g)].map((m) => `refusalLens.${m[1]}`);
  assert.ok(read.length >= 7, `found ${read.length} settings read`);
  const props = pkg.contributes.configuration.properties;
  assert.deepEqual(Object.keys(props).sort(), [...new Set(read)].sort());
  for (const [key, p] of Object.entries<{ type: string; description?: string; markdownDescription?: string }>(props)) {
    assert.ok(p.type, `${key} has no type`);
    assert.ok((p.description ?? p.markdownDescription ?? '').length > 20, `${key} has no description`);
  }
});

test('prompt files are JSONC with the schema; the untrusted-workspace declaration names real settings', () => {
  assert.ok(pkg.contributes.languages.some((l: { id: string; extensions: string[] }) => l.id === 'jsonc' && l.extensions.includes('.rlprompt')));
  const validation = pkg.contributes.jsonValidation.find((v: { fileMatch: string }) => v.fileMatch === '*.rlprompt');
  assert.ok(existsSync(path.join(ROOT, validation.url)), `${validation.url} does not exist`);
  const trust = pkg.capabilities.untrustedWorkspaces;
  assert.equal(trust.supported, 'limited');
  for (const key of trust.restrictedConfigurations) assert.ok(pkg.contributes.configuration.properties[key], `${key} is not a setting`);
});

test('the panel serializer activates on the view type the panel uses, and main is the host bundle', () => {
  const viewType = /VIEW_TYPE = '([^']+)'/.exec(src('inspectorPanel.ts'))![1];
  assert.ok(pkg.activationEvents.includes(`onWebviewPanel:${viewType}`));
  assert.equal(pkg.main, './dist/extension.js');
  assert.match(readFileSync(path.join(ROOT, 'esbuild.config.mjs'), 'utf8'), /src\/extension\/extension\.ts'\], outfile: 'dist\/extension\.js'/);
});

test('the annotate settings offer the protocol\'s positions and defaults (one list, src/protocol/annotate.ts)', () => {
  const props = pkg.contributes.configuration.properties;
  assert.deepEqual(props['refusalLens.annotate.positions'].items.enum, [...ANNOTATE_POSITIONS]);
  assert.deepEqual(props['refusalLens.annotate.positions'].default, [...DEFAULT_ANNOTATE_POSITIONS]);
  assert.equal(props['refusalLens.annotate.batchSize'].default, DEFAULT_ANNOTATE_BATCH);
  assert.equal(props['refusalLens.annotate.batchSize'].maximum, LIMITS.batchSize);
});
