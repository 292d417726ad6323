// A quiet, script-free install on npm 10 and 11 (issue 10, defect 12): .npmrc holds only keys npm
// knows (an unknown one warns on every npm call and "will stop working in the next major
// version"), install scripts are off for the project (npm 10 and 11 read ignore-scripts), and
// every locked dependency with an install script is explicitly denied in allowScripts (npm 11's
// policy, so it neither lists them as unreviewed nor runs them when scripts are turned on).
// The e2e setup's own npm install, which needs scripts, must not inherit the project's setting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
// Under `npm test` npm exports its own config as npm_config_* (ignore-scripts=true among them):
// drop those, so each check sees what npm reads from the files, as in a fresh shell.
const shellEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_(config|package|lifecycle)_/i.test(k)));
const npm = (args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) =>
  spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...shellEnv, ...env, npm_config_update_notifier: 'false' }, timeout: 30_000 });

/** Key = value lines of an npmrc, comments and blanks dropped. */
function npmrcKeys(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#') || t.startsWith(';')) continue;
    const eq = t.indexOf('=');
    out.set((eq < 0 ? t : t.slice(0, eq)).trim(), eq < 0 ? 'true' : t.slice(eq + 1).trim());
  }
  return out;
}

test('.npmrc holds only keys npm knows, npm reads it without a warning, and install scripts are off', () => {
  const r = npm(['config', 'ls', '-l', '--json'], ROOT);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stderr.split('\n').filter((l) => /npm warn/i.test(l)), [], 'npm warns about the project config');
  const known = JSON.parse(r.stdout) as Record<string, unknown>;
  const keys = npmrcKeys(readFileSync(path.join(ROOT, '.npmrc'), 'utf8'));
  for (const k of keys.keys()) assert.ok(k in known, `.npmrc key '${k}' is not an npm config key (npm ${execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim()})`);
  assert.equal(known['ignore-scripts'], true, 'npm must see ignore-scripts=true in this project');
});

test('every locked package with an install script is denied in allowScripts, and nothing else is listed', () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
  const withScripts = Object.entries(lock.packages)
    .filter(([k, v]) => k && v.hasInstallScript)
    .map(([k]) => k.slice(k.lastIndexOf('node_modules/') + 'node_modules/'.length));
  assert.ok(withScripts.includes('onnxruntime-node'), 'the lock lists onnxruntime-node with its install script');
  const allow = pkg.allowScripts ?? {};
  assert.deepEqual([...new Set(withScripts)].sort(), Object.keys(allow).sort(), 'allowScripts must name exactly the locked packages with install scripts');
  for (const [name, v] of Object.entries(allow)) assert.equal(v, false, `allowScripts.${name} must be false: its script downloads (or is not needed)`);
});

test("the e2e setup's nested npm install sees scripts on: the project's ignore-scripts does not leak", () => {
  // setup.sh installs code-server into .cache/e2e/code-server, a folder with its own package.json.
  mkdirSync(path.join(ROOT, '.cache'), { recursive: true });
  const dir = mkdtempSync(path.join(ROOT, '.cache', 'npmrc-leak-'));
  try {
    writeFileSync(path.join(dir, 'package.json'), '{ "name": "leak-check", "private": true }\n');
    const home = path.join(dir, 'home');
    mkdirSync(home);
    const r = npm(['config', 'get', 'ignore-scripts'], dir, { HOME: home });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'false', 'a nested project under the repository must not inherit ignore-scripts=true');
    const setup = readFileSync(path.join(ROOT, 'test', 'e2e', 'setup.sh'), 'utf8');
    assert.match(setup, /^export npm_config_ignore_scripts=false$/m, 'setup.sh turns scripts on explicitly for its install');
    assert.ok(setup.indexOf('export npm_config_ignore_scripts=false') < setup.indexOf('npm install --no-save'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
