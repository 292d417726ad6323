// Shared by the worker tests: the real worker bundle (built from src/worker/main.ts the way
// esbuild.config.mjs builds dist/worker.js), direction files for a fixture model, a client.
import * as esbuild from 'esbuild';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { loadModel, saveDirection, type Direction } from '../../src/engine/index';
import { TOOL_VERSION } from '../../src/engine/version';
import { WorkerClient, type WorkerDeath } from '../../src/extension/workerClient';
import type { LogLevel } from '../../src/protocol/rpc';

export const ROOT = path.resolve(__dirname, '..', '..');
export const FIXTURE_MODEL = path.join(ROOT, 'test', 'fixtures', 'models', 'llama-gqa');
// Inside the repository, so the bundle resolves onnxruntime-node from its node_modules.
const OUT_DIR = path.join(ROOT, '.cache', 'test-worker');

let built: Promise<string> | undefined;
export function bundleWorker(): Promise<string> {
  built ??= (async () => {
    mkdirSync(OUT_DIR, { recursive: true });
    const outfile = path.join(OUT_DIR, 'worker.js');
    await esbuild.build({
      entryPoints: [path.join(ROOT, 'src/worker/main.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'es2022',
      external: ['onnxruntime-node'],
      // As esbuild.config.mjs: jsonc-parser's UMD "main" hides its requires from the bundler.
      mainFields: ['module', 'main'],
      logLevel: 'error',
    });
    return outfile;
  })();
  return built;
}

/** Writes axis `name` for the fixture model: deterministic pseudo-random unit-ish vectors. */
export async function writeFixtureAxis(dir: string, name: string, seed: number): Promise<string> {
  const model = await loadModel(FIXTURE_MODEL);
  const { layers, dModel, graphHash } = model.summary;
  await (model as unknown as { dispose?: () => Promise<void> }).dispose?.();
  let s = seed >>> 0;
  const vectors = new Float32Array(layers * dModel).map(() => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
  const dirn: Direction = {
    name,
    vectors,
    nLayers: layers,
    dModel,
    meta: {
      name,
      modelName: 'llama-gqa',
      modelGraphHash: graphHash,
      hook: 'resid_post',
      layerBase: 0,
      method: 'test_fixture',
      positions: 'last',
      nPos: 0,
      nNeg: 0,
      created: '2026-01-01T00:00:00Z',
      toolVersion: TOOL_VERSION,
    },
  };
  const file = path.join(dir, `${name}.safetensors`);
  await saveDirection(file, dirn);
  return file;
}

export interface TestClient {
  client: WorkerClient;
  deaths: WorkerDeath[];
  logs: string[];
}

export async function startClient(): Promise<TestClient> {
  const workerPath = await bundleWorker();
  const deaths: WorkerDeath[] = [];
  const logs: string[] = [];
  const client = new WorkerClient({
    workerPath,
    log: (level: LogLevel, message: string) => logs.push(`${level}: ${message}`),
    onDeath: (d) => deaths.push(d),
  });
  return { client, deaths, logs };
}
