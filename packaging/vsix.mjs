// Builds the platform-specific VSIX: `node packaging/vsix.mjs [--target linux-x64] [--out file.vsix]`.
//
// The package is staged in .cache/vsix/<target>/ rather than packed from the repository, so it
// holds exactly what runs: three bundles (extension host, worker, webview), the built-in model,
// the webview page, the schemas, the built-in prompt sets, the examples, a README written for the
// Marketplace details page, and of node_modules only onnxruntime-node (with just
// the target's native binaries) and onnxruntime-common, under dist/node_modules/. The tokenizer libraries
// (@huggingface/tokenizers, @huggingface/jinja: plain JavaScript) are bundled into the worker.
//
// Targets: linux-x64, linux-arm64, darwin-arm64, win32-x64, win32-arm64 (the platforms
// onnxruntime-node 1.30 ships CPU binaries for; there is no darwin-x64 build).
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TARGETS = {
  'linux-x64': ['linux', 'x64'],
  'linux-arm64': ['linux', 'arm64'],
  'darwin-arm64': ['darwin', 'arm64'],
  'win32-x64': ['win32', 'x64'],
  'win32-arm64': ['win32', 'arm64'],
};

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}

function fail(message) {
  console.error(`package:vsix: ${message}`);
  process.exit(1);
}

const target = arg('--target', 'linux-x64');
if (!TARGETS[target]) fail(`unknown --target ${target}; one of ${Object.keys(TARGETS).join(', ')}`);
const [os, arch] = TARGETS[target];
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const out = path.resolve(arg('--out', path.join(ROOT, `${pkg.name}-${target}-${pkg.version}.vsix`)));
const stage = path.join(ROOT, '.cache', 'vsix', target);

for (const need of ['src/extension/extension.ts', 'src/worker/main.ts', 'webview/main.ts', 'webview/dataset/main.ts', 'media/webview/inspector.html', 'media/webview/dataset.html', 'schemas/rlprompt.schema.json', 'schemas/conditions.schema.json', 'media/sets/index.json', 'examples', 'packaging/README.vsix.md']) {
  if (!existsSync(path.join(ROOT, need))) fail(`missing ${need}`);
}
const ortBin = path.join(ROOT, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', os, arch);
if (!existsSync(ortBin)) fail(`onnxruntime-node has no binaries for ${os}/${arch} (${ortBin}); run npm ci`);
const builtin = path.join(ROOT, 'media', 'models', 'organism');
const builtinModel = existsSync(path.join(builtin, 'config.json'));
if (!builtinModel) console.warn(`package:vsix: warning: the built-in model is not in ${builtin} yet; the VSIX will not carry one`);

rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
const t0 = Date.now();

// ───────── bundles ─────────
// mainFields: jsonc-parser's "main" is a UMD build whose require('./impl/…') esbuild cannot follow.
const common = { bundle: true, target: 'es2022', logLevel: 'warning', minify: true, legalComments: 'linked', sourcemap: false, mainFields: ['module', 'main'] };
await Promise.all([
  esbuild.build({ ...common, entryPoints: [path.join(ROOT, 'src/extension/extension.ts')], outfile: path.join(stage, 'dist/extension.js'), platform: 'node', format: 'cjs', external: ['vscode'] }),
  esbuild.build({
    ...common,
    entryPoints: [path.join(ROOT, 'src/worker/main.ts')],
    outfile: path.join(stage, 'dist/worker.js'),
    platform: 'node',
    format: 'cjs',
    // Native code and the package it shares types with stay real modules in node_modules/.
    external: ['onnxruntime-node', 'onnxruntime-common'],
  }),
  esbuild.build({ ...common, entryPoints: [path.join(ROOT, 'webview/main.ts')], outfile: path.join(stage, 'dist/webview.js'), platform: 'browser', format: 'iife' }),
  esbuild.build({ ...common, entryPoints: [path.join(ROOT, 'webview/dataset/main.ts')], outfile: path.join(stage, 'dist/dataset.js'), platform: 'browser', format: 'iife' }),
]);

// ───────── files ─────────
const copy = (from, to = from, opts = {}) => cpSync(path.join(ROOT, from), path.join(stage, to), { recursive: true, dereference: true, ...opts });
copy('media/webview');
if (existsSync(path.join(ROOT, 'media', 'icon.png'))) copy('media/icon.png');
if (builtinModel) {
  // The model and its axes; rewritten-graph caches are rebuilt on the user's machine.
  copy('media/models/organism', 'media/models/organism', { filter: (src) => !/\.hooked-[^/]*$/.test(src) && !src.endsWith('.rl-cache') });
}
// What the examples and commands read besides the model: every schema (jsonValidation,
// yamlValidation, the examples' $schema lines), the built-in prompt sets (`builtin:NAME` in
// condition files, `extract --builtin`), and the examples themselves (Open Examples copies them
// into the workspace with the files they refer to).
copy('schemas', 'schemas', { filter: (src) => statSync(src).isDirectory() || src.endsWith('.json') });
copy('media/sets', 'media/sets', { filter: (src) => statSync(src).isDirectory() || /\.(jsonl|json)$/.test(src) });
copy('examples');
// The details page (the VSIX's README): what a user does in the editor, not how to build it.
copy('packaging/README.vsix.md', 'README.md');
if (existsSync(path.join(ROOT, 'LICENSE'))) copy('LICENSE');
copy('.vscodeignore');

// Native modules go to dist/node_modules/: Node finds them from dist/worker.js, and vsce
// packs them (it skips only the top-level node_modules/ when told not to run npm).
const ortNode = 'node_modules/onnxruntime-node';
const ortCommon = 'node_modules/onnxruntime-common';
copy(`${ortNode}/package.json`, `dist/${ortNode}/package.json`);
copy(`${ortNode}/dist`, `dist/${ortNode}/dist`);
copy(`${ortNode}/bin/napi-v6/${os}/${arch}`, `dist/${ortNode}/bin/napi-v6/${os}/${arch}`);
copy(`${ortCommon}/package.json`, `dist/${ortCommon}/package.json`);
copy(`${ortCommon}/dist/cjs`, `dist/${ortCommon}/dist/cjs`);
for (const m of [ortNode, ortCommon]) {
  for (const f of ['LICENSE', 'README.md', 'ThirdPartyNotices.txt']) if (existsSync(path.join(ROOT, m, f))) copy(`${m}/${f}`, `dist/${m}/${f}`);
}

// The manifest without what only the repository needs: no scripts (vsce would run
// vscode:prepublish), no dependencies (they are bundled or staged above).
const manifest = { ...pkg };
for (const k of ['scripts', 'dependencies', 'devDependencies', 'bin', 'allowScripts', 'files', 'private']) delete manifest[k];
manifest.main = './dist/extension.js';
writeFileSync(path.join(stage, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');

// ───────── vsce ─────────
const vsce = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
if (!existsSync(vsce)) fail('@vscode/vsce is not installed: run npm ci');
const flags = ['package', '--target', target, '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', out];
try {
  execFileSync(process.execPath, [vsce, ...flags], { cwd: stage, stdio: ['ignore', 'inherit', 'inherit'] });
} catch {
  fail(`vsce package failed in ${stage}`);
}
const size = (p) => (statSync(p).isDirectory() ? readdirSync(p).reduce((n, f) => n + size(path.join(p, f)), 0) : statSync(p).size);
console.log(`package:vsix: ${path.relative(ROOT, out)} (${(statSync(out).size / 1e6).toFixed(1)} MB; staged ${(size(stage) / 1e6).toFixed(1)} MB) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
