// Workspace trust decides "inside the workspace?" with one function (src/extension/paths.ts).
// Issue 10 #8: `<ws>/..models/evil` counted as outside (a string-prefix test) and loaded without
// asking. Real folders and real symlinks in a temp dir.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { isInsideAny, isWithin, pathKey, promptAxisFiles, realPath } from '../../src/extension/paths';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'rl-trust-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const ws = path.join(tmp, 'ws');
const outside = path.join(tmp, 'elsewhere');
mkdirSync(path.join(ws, '..models', 'evil'), { recursive: true });
mkdirSync(path.join(ws, 'models'), { recursive: true });
mkdirSync(path.join(outside, 'model'), { recursive: true });
mkdirSync(path.join(tmp, 'ws2'), { recursive: true });
writeFileSync(path.join(outside, 'model', 'config.json'), '{}');

describe('inside the workspace', () => {
  test('a folder whose name starts with two dots is inside', () => {
    assert.ok(isInsideAny([ws], path.join(ws, '..models', 'evil')));
    assert.ok(isInsideAny([ws], `${ws}${path.sep}..models${path.sep}evil`));
    assert.ok(isInsideAny([ws], path.join(ws, '...')));
  });

  test('parent folders, siblings sharing a prefix and other roots are outside', () => {
    assert.ok(!isInsideAny([ws], path.join(ws, '..', 'elsewhere', 'model')));
    assert.ok(!isInsideAny([ws], tmp));
    assert.ok(!isInsideAny([ws], path.join(tmp, 'ws2', 'x')), 'ws2 starts with ws but is another folder');
    assert.ok(!isInsideAny([ws], outside));
  });

  test('the root itself and `..` that comes back in are inside', () => {
    assert.ok(isInsideAny([ws], ws));
    assert.ok(isInsideAny([ws], path.join(ws, 'models', '..', 'models', 'a')));
    assert.ok(isInsideAny([path.join(ws, 'models', '..')], path.join(ws, 'x')));
  });

  test('a link inside the workspace to a folder outside counts as inside (the workspace chose it)', () => {
    const link = path.join(ws, 'models', 'linked');
    symlinkSync(outside, link, 'dir');
    assert.ok(isInsideAny([ws], path.join(link, 'model')));
  });

  test('a link outside the workspace into it counts as inside (the files are the workspace\'s)', () => {
    const link = path.join(outside, 'into-ws');
    symlinkSync(path.join(ws, '..models'), link, 'dir');
    assert.ok(isInsideAny([ws], path.join(link, 'evil')));
    assert.ok(!isInsideAny([ws], path.join(outside, 'model')));
  });

  test('a workspace opened through a link still holds its files', () => {
    const wsLink = path.join(tmp, 'ws-link');
    symlinkSync(ws, wsLink, 'dir');
    assert.ok(isInsideAny([wsLink], path.join(ws, 'models')));
    assert.ok(isInsideAny([ws], path.join(wsLink, 'models')));
  });

  test('files that do not exist yet are judged by their deepest existing folder', () => {
    const link = path.join(ws, 'out-link');
    symlinkSync(outside, link, 'dir');
    assert.equal(realPath(path.join(link, 'new', 'file.jsonl')), path.join(realPath(outside), 'new', 'file.jsonl'));
    assert.ok(isInsideAny([ws], path.join(link, 'new', 'file.jsonl')));
    assert.ok(isInsideAny([outside], path.join(link, 'new', 'file.jsonl')));
  });

  test('case-insensitive file systems (win32, darwin) compare without case', () => {
    const upper = path.join(ws.toUpperCase(), 'Models');
    assert.ok(isWithin(ws, upper, true));
    assert.ok(!isWithin(ws, upper, false));
    assert.ok(!isWithin(ws, path.join(tmp, 'WS2'), true));
    assert.ok(isInsideAny([ws], path.join(ws.toUpperCase(), '..MODELS', 'EVIL'), true));
  });

  test('win32 paths: a dotted name is inside, another drive or a prefix-sharing sibling is outside', () => {
    const w = path.win32;
    assert.ok(isWithin('C:\\ws', 'C:\\ws\\..models\\evil', true, w));
    assert.ok(isWithin('C:\\ws', 'c:\\WS\\models', true, w));
    assert.ok(!isWithin('C:\\ws', 'D:\\ws\\x', true, w));
    assert.ok(!isWithin('C:\\ws', 'C:\\ws2', true, w));
    assert.ok(!isWithin('C:\\ws', 'C:\\ws\\..\\x', true, w));
  });

  test('one key per file however it is spelt', () => {
    const link = path.join(tmp, 'key-link');
    symlinkSync(path.join(outside, 'model'), link, 'dir');
    assert.equal(pathKey(path.join(link, 'config.json'), false), pathKey(path.join(outside, 'model', '.', 'config.json'), false));
  });
});

describe("a prompt file's axes", () => {
  const shipped = [path.join(outside, 'model', 'axes', 'persona.safetensors'), path.join(outside, 'model', 'axes', 'refusal.safetensors')];
  test('paths are relative to the prompt file, names are the shipped or configured axes; what it names is judged like any file', () => {
    const promptDir = path.join(ws, 'prompts');
    const files = promptAxisFiles(['refusal', '../..models/evil.safetensors'], promptDir, shipped);
    assert.deepEqual(files, [shipped[1], path.join(ws, '..models', 'evil.safetensors')]);
    assert.deepEqual(files.map((f) => isInsideAny([ws], f)), [false, true]);
  });
  test('an axis that is neither a path nor a known name is refused by name', () => {
    assert.throws(() => promptAxisFiles(['personna'], ws, shipped), /axis 'personna' is neither a vector file path .* nor an axis .*\(persona, refusal\)/);
  });
});
