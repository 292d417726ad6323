// Defect 11 (issue 10): a read-only install. `demo`, `trace` and `model` on a model folder that
// cannot be written must work: the hooked graph goes to --cache-dir, or else to the user cache
// (XDG_CACHE_HOME or ~/.cache/refusal-lens; ~/Library/Caches on macOS; %LOCALAPPDATA% on Windows).
//
// How the folder is made read-only for real: tests run as root here, where chmod does not stop
// writes, so the CLI runs inside its own mount namespace (`unshare -m`) with the model copy
// bind-mounted read-only (writes fail with EROFS, as on a read-only install). As a non-root user
// `chmod -R a-w` does the same (EACCES). Where neither works the test says so and skips.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { userCacheDir } from '../../src/engine/onnx/user-cache';
import { CLI, copyBuiltin, noStack, runCli } from './bounds-helpers';

const MOUNT_RO = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && exec "$@"';

function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

/** How this machine can make `dir` unwritable for a child: a command prefix, or why not. */
function readOnlyWay(dir: string): { command: string[] } | { skip: string } {
  if (process.platform === 'win32') return { skip: 'no read-only folder recipe on Windows' };
  if (process.getuid?.() !== 0) {
    execFileSync('chmod', ['-R', 'a-w', dir]);
    return { command: [process.execPath, CLI] };
  }
  try {
    execFileSync('unshare', ['-m', 'sh', '-c', `${MOUNT_RO}`, dir, 'sh', '-c', 'if touch "$0/probe" 2>/dev/null; then exit 3; fi', dir], { stdio: 'ignore' });
    return { command: ['unshare', '-m', 'sh', '-c', MOUNT_RO, dir, process.execPath, CLI] };
  } catch {
    return { skip: 'root without CAP_SYS_ADMIN: cannot make a read-only bind mount (and chmod does not bind root)' };
  }
}

describe('a read-only model folder', () => {
  let tmp: string;
  let model: string;
  let before0: string[];
  let way: ReturnType<typeof readOnlyWay>;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rl-readonly-'));
    model = copyBuiltin(path.join(tmp, 'organism'));
    before0 = listing(model);
    way = readOnlyWay(model);
  });
  after(() => {
    if (process.getuid?.() !== 0) execFileSync('chmod', ['-R', 'u+w', tmp]);
    rmSync(tmp, { recursive: true, force: true });
  });

  const env = (name: string) => {
    const home = path.join(tmp, name, 'home');
    mkdirSync(home, { recursive: true });
    return { HOME: home, XDG_CACHE_HOME: path.join(tmp, name, 'xdg') };
  };
  const hooked = (dir: string) => (existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.hooked-[0-9a-f]{12}\.onnx$/.test(f)) : []);

  test('model, trace and demo work; the hooked graph goes to $XDG_CACHE_HOME/refusal-lens', async (t) => {
    if ('skip' in way) return t.skip(way.skip);
    const e = env('xdg');
    const m = await runCli(['model', model, '--json'], { command: way.command, env: e, timeoutMs: 60_000 });
    assert.equal(m.code, 0, m.err);
    const report = JSON.parse(m.out) as { hookedGraph: string; hookedFromCache: boolean };
    const cache = path.join(e.XDG_CACHE_HOME, 'refusal-lens', 'hooked-graphs');
    assert.ok(report.hookedGraph.startsWith(cache + path.sep), report.hookedGraph);
    assert.equal(report.hookedFromCache, false);
    assert.equal(hooked(cache).length, 1);

    const tr = await runCli(['trace', model, '-t', 'hi', '-n', '2', '--json'], { command: way.command, env: e, timeoutMs: 60_000 });
    assert.equal(tr.code, 0, tr.err);
    assert.equal((JSON.parse(tr.out) as { tokens: unknown[] }).tokens.length > 0, true);
    const out = path.join(tmp, 'report.html');
    const demo = await runCli(['demo', model, '-n', '2', '-o', out], { command: way.command, env: e, timeoutMs: 120_000 });
    assert.equal(demo.code, 0, demo.err);
    assert.ok(existsSync(out));
    assert.equal(hooked(cache).length, 1, 'reused, not written again');
    assert.deepEqual(listing(model), before0, 'nothing written into the model folder');
    for (const r of [m, tr, demo]) assert.ok(noStack(r));
  });

  test('without XDG_CACHE_HOME it is ~/.cache/refusal-lens; --cache-dir takes precedence', async (t) => {
    if ('skip' in way) return t.skip(way.skip);
    const e = env('home');
    const m = await runCli(['model', model, '--json'], { command: way.command, env: { ...e, XDG_CACHE_HOME: '' }, timeoutMs: 60_000 });
    assert.equal(m.code, 0, m.err);
    assert.equal(hooked(path.join(e.HOME, '.cache', 'refusal-lens', 'hooked-graphs')).length, 1);
    const mine = path.join(tmp, 'mine');
    const c = await runCli(['model', model, '--cache-dir', mine, '--json'], { command: way.command, env: e, timeoutMs: 60_000 });
    assert.equal(c.code, 0, c.err);
    assert.ok((JSON.parse(c.out) as { hookedGraph: string }).hookedGraph.startsWith(mine + path.sep));
    assert.equal(hooked(mine).length, 1);
    assert.deepEqual(listing(model), before0);
  });
});

test('userCacheDir follows each platform', () => {
  assert.equal(userCacheDir({ XDG_CACHE_HOME: '/x/cache' }, 'linux', '/home/u'), '/x/cache/refusal-lens/hooked-graphs');
  assert.equal(userCacheDir({ XDG_CACHE_HOME: 'relative' }, 'linux', '/home/u'), '/home/u/.cache/refusal-lens/hooked-graphs');
  assert.equal(userCacheDir({}, 'linux', '/home/u'), '/home/u/.cache/refusal-lens/hooked-graphs');
  assert.equal(userCacheDir({ XDG_CACHE_HOME: '/x' }, 'darwin', '/Users/u'), '/Users/u/Library/Caches/refusal-lens/hooked-graphs');
  assert.equal(userCacheDir({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'win32', 'C:\\Users\\u'), 'C:\\Users\\u\\AppData\\Local\\refusal-lens\\hooked-graphs');
  assert.equal(userCacheDir({}, 'win32', 'C:\\Users\\u'), 'C:\\Users\\u\\AppData\\Local\\refusal-lens\\hooked-graphs');
});
