// Defect 6 (issue 10): unbounded inputs. Every count is capped with a message naming the option
// and the limit, and every file read is refused before it starts when the file is not a regular
// file or is over its size bound. Each case runs the real CLI with a time bound: before the fix
// these hung (threads, FIFO), grew without end (/dev/zero, --positions, --samples) or OOMed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, appendFileSync, mkdtempSync, readFileSync, openSync, rmSync, unlinkSync, writeFileSync, ftruncateSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LIMITS } from '../../src/protocol/limits';
import { parseJsonl } from '../../src/engine/prompts/index';
import { readDirection, writeDirection } from '../../src/engine/directions/index';
import { BUILTIN, copyBuiltin, noStack, ROOT, runCli, type CliRun } from './bounds-helpers';

let tmp: string;
let fifo: string;
before(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'rl-bounds-'));
  fifo = path.join(tmp, 'pipe');
  execFileSync('mkfifo', [fifo]);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Fails fast (well inside the time bound), with `code`, a message matching every pattern, no stack. */
function refused(r: CliRun, code: number, ...patterns: RegExp[]): void {
  assert.equal(r.timedOut, false, `hung: killed after ${r.ms} ms`);
  assert.equal(r.code, code, `exit ${r.code}\n${r.err}`);
  for (const p of patterns) assert.match(r.err, p);
  assert.ok(noStack(r), r.err);
}

describe('counts are capped before work starts', () => {
  test('--threads 1000000 is refused, naming the option and the limit', async () => {
    refused(await runCli(['trace', '--threads', '1000000', '-t', 'hi'], { timeoutMs: 15_000 }), 2, /--threads/, new RegExp(`${LIMITS.threads}`));
  });
  test('select --positions 1e9 is refused before any set or model is read', async () => {
    const r = await runCli(['select', '--positions', '1e9'], { timeoutMs: 15_000 });
    refused(r, 2, /--positions/, new RegExp(`at most ${LIMITS.selectPositions}`));
    assert.ok(r.ms < 10_000);
  });
  test('geometry --samples 1e9 is refused', async () => {
    refused(await runCli(['geometry', '-m', 'builtin', '--samples', '1e9'], { timeoutMs: 15_000 }), 2, /--samples/, new RegExp(`${LIMITS.geometrySamples}`));
  });
  test('--batch-size and --limit have caps too', async () => {
    refused(await runCli(['extract', '--builtin', 'refusal', '--batch-size', '1e6'], { timeoutMs: 15_000 }), 2, /--batch-size/, new RegExp(`${LIMITS.batchSize}`));
  });
});

describe('file reads: regular files only, bounded by their format', () => {
  test('--axis /dev/zero is refused at once (a device is not a direction file)', async () => {
    refused(await runCli(['trace', '-t', 'hi', '-n', '1', '--axis', '/dev/zero'], { timeoutMs: 15_000 }), 1, /\/dev\/zero/, /character device/);
  });
  test('--axis on a FIFO is refused without blocking on it', async () => {
    refused(await runCli(['trace', '-t', 'hi', '-n', '1', '--axis', fifo], { timeoutMs: 15_000 }), 1, /FIFO/, new RegExp(fifo));
  });
  test('geometry on a FIFO and a folder', async () => {
    refused(await runCli(['geometry', fifo, tmp], { timeoutMs: 15_000 }), 1, /FIFO/);
    refused(await runCli(['geometry', path.join(BUILTIN, 'axes', 'persona.safetensors'), tmp], { timeoutMs: 15_000 }), 1, /is a folder/);
  });
  test('--prompt on a FIFO, a condition file on a FIFO, a prompt set on a FIFO', async () => {
    refused(await runCli(['trace', '--prompt', fifo], { timeoutMs: 15_000 }), 1, /prompt file/, /FIFO/);
    refused(await runCli(['ablate', '--check', fifo], { timeoutMs: 15_000 }), 1, /FIFO/);
    refused(await runCli(['extract', '--positive', fifo, '--negative', 'builtin:harmless'], { timeoutMs: 15_000 }), 1, /FIFO/);
  });
  test('a prompt file over its size limit is refused before it is read (a sparse 9 MiB file)', async () => {
    const big = path.join(tmp, 'big.rlprompt');
    const fd = openSync(big, 'w');
    ftruncateSync(fd, LIMITS.promptFileBytes + 1);
    closeSync(fd);
    refused(await runCli(['trace', '--prompt', big], { timeoutMs: 15_000 }), 1, /over the 8 MiB limit for a prompt file/);
  });
  test('a direction file: a header length over 100 MB, and more bytes than its header allows', async () => {
    const huge = path.join(tmp, 'huge-header.safetensors');
    const head = Buffer.alloc(16);
    head.writeBigUInt64LE(10n ** 12n, 0);
    writeFileSync(huge, head);
    refused(await runCli(['trace', '-t', 'hi', '-n', '1', '--axis', huge], { timeoutMs: 15_000 }), 1, /header length 1000000000000 is over/);
    const padded = path.join(tmp, 'padded.safetensors');
    copyFileSync(path.join(BUILTIN, 'axes', 'persona.safetensors'), padded);
    appendFileSync(padded, Buffer.alloc(1 << 20));
    refused(await runCli(['trace', '-t', 'hi', '-n', '1', '--axis', padded], { timeoutMs: 15_000 }), 1, /more than a direction file for this model can hold/, /bytes after its data/);
    // Without a model the read is bounded by LIMITS.directionValues; the format check finds the extra bytes.
    refused(await runCli(['geometry', padded, path.join(BUILTIN, 'axes', 'refusal.safetensors')], { timeoutMs: 15_000 }), 1, /padded\.safetensors: 1048576 bytes after the last tensor's data/);
  });
  test('a direction file of a larger model is refused before its data is read, saying why', async () => {
    const p = await readDirection(path.join(BUILTIN, 'axes', 'persona.safetensors'));
    const bigger = path.join(tmp, 'seven-layers.safetensors');
    const vectors = new Float32Array((p.nLayers + 1) * p.dModel).fill(0.5);
    await writeDirection(bigger, { ...p, nLayers: p.nLayers + 1, vectors });
    refused(await runCli(['trace', '-t', 'hi', '-n', '1', '--axis', bigger], { timeoutMs: 15_000 }), 1, /seven-layers\.safetensors: \d+ bytes is more than a direction file for this model can hold .*6 layers × 128/, /larger model/);
  });
  test("a model folder whose tokenizer.json is a FIFO: the model command names the file", async () => {
    const m = copyBuiltin(path.join(tmp, 'fifo-model'));
    unlinkSync(path.join(m, 'tokenizer.json'));
    execFileSync('mkfifo', [path.join(m, 'tokenizer.json')]);
    refused(await runCli(['model', m], { timeoutMs: 15_000 }), 1, /tokenizer\.json/, /FIFO/);
  });
  test('a model folder whose onnx/model.onnx is a FIFO', async () => {
    const m = copyBuiltin(path.join(tmp, 'fifo-graph'));
    unlinkSync(path.join(m, 'onnx', 'model.onnx'));
    execFileSync('mkfifo', [path.join(m, 'onnx', 'model.onnx')]);
    refused(await runCli(['model', m], { timeoutMs: 15_000 }), 1, /model\.onnx: is a FIFO \(named pipe\), not a regular file \(wanted: ONNX graph\)/);
  });
});

test("the extension's settings state the same bounds as LIMITS", () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { maximum?: number }> } } };
  const props = pkg.contributes.configuration.properties;
  assert.equal(props['refusalLens.engine.threads']!.maximum, LIMITS.threads);
  assert.equal(props['refusalLens.annotate.batchSize']!.maximum, LIMITS.batchSize);
});

test('a JSONL line over the line limit is a skipped row; the other rows load', () => {
  const long = JSON.stringify({ prompt: 'x'.repeat(LIMITS.jsonlLineChars) });
  const { rows, diagnostics } = parseJsonl(`{"prompt":"a"}\n${long}\n{"prompt":"b"}\n`, 'set.jsonl');
  assert.deepEqual(rows.map((r) => r.line), [1, 3]);
  assert.equal(diagnostics.length, 1);
  assert.equal(diagnostics[0]!.line, 2);
  assert.match(diagnostics[0]!.message, new RegExp(`over the limit of ${LIMITS.jsonlLineChars}`));
});
