// One default for max new tokens (issue 13 item 6): the CLI commands, the extension setting and
// the shipped example / model-card files all use DEFAULT_MAX_NEW_TOKENS (they were 24, 32, 48
// and 64). A command that takes its own number again fails here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_MAX_NEW_TOKENS } from '../../src/protocol/decoding';
import { commands } from '../../src/cli/commands/index';

const ROOT = join(__dirname, '..', '..');
const files = (dir: string, re: RegExp): string[] => readdirSync(join(ROOT, dir)).filter((f) => re.test(f)).map((f) => join(dir, f));

test('the extension setting defaults to DEFAULT_MAX_NEW_TOKENS', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  assert.equal(pkg.contributes.configuration.properties['refusalLens.decoding.maxNewTokens'].default, DEFAULT_MAX_NEW_TOKENS);
});

test('CLI commands: no max-new-tokens default of their own', () => {
  for (const c of commands) {
    const o = c.options?.find((x) => x.name === 'max-new-tokens');
    if (o && 'default' in o && o.default !== undefined) assert.equal(o.default, DEFAULT_MAX_NEW_TOKENS, c.name);
  }
  const dir = join(ROOT, 'src/cli/commands');
  for (const f of readdirSync(dir)) {
    const src = readFileSync(join(dir, f), 'utf8');
    assert.doesNotMatch(src, /maxNewTokens:\s*[1-9]\d*\b/, `${f}: a literal maxNewTokens`);
    assert.doesNotMatch(src, /decodingFrom\(args,\s*\d/, `${f}: a literal default for decodingFrom`);
  }
});

test('example and model-card files use the default', () => {
  for (const f of [...files('examples/conditions', /\.ya?ml$/), ...files('tools/organism/card', /\.ya?ml$/)]) {
    const y = parseYaml(readFileSync(join(ROOT, f), 'utf8')) as { decoding: { maxNewTokens: number } };
    assert.equal(y.decoding.maxNewTokens, DEFAULT_MAX_NEW_TOKENS, f);
  }
  for (const f of files('examples/prompts', /\.rlprompt$/)) {
    const m = readFileSync(join(ROOT, f), 'utf8').match(/"maxNewTokens":\s*(\d+)/);
    if (m) assert.equal(Number(m[1]), DEFAULT_MAX_NEW_TOKENS, f);
  }
});
