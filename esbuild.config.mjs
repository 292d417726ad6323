// Separate bundles: the extension host never loads onnxruntime (it forks dist/worker.js),
// the webview bundle is browser code, the CLI and worker share the engine.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const nodeExternal = ['onnxruntime-node', 'vscode'];

const builds = [
  { entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', external: nodeExternal },
  { entryPoints: ['src/worker/main.ts'], outfile: 'dist/worker.js', platform: 'node', format: 'cjs', external: nodeExternal },
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', external: nodeExternal },
  { entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js', platform: 'browser', format: 'iife' },
  { entryPoints: ['webview/dataset/main.ts'], outfile: 'dist/dataset.js', platform: 'browser', format: 'iife' },
  { entryPoints: ['bench/main.ts'], outfile: 'dist/bench.js', platform: 'node', format: 'cjs', external: nodeExternal },
].filter((b) => existsSync(b.entryPoints[0]));

// jsonc-parser's UMD entry hides its requires from the bundler: prefer ESM entries.
const common = { bundle: true, sourcemap: true, target: 'es2022', logLevel: 'warning', mainFields: ['module', 'main'] };
if (watch) {
  for (const b of builds) (await esbuild.context({ ...common, ...b })).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build({ ...common, ...b })));
}
