// Building blocks for bad inputs: copies of the built-in model folder, direction files derived
// from its shipped persona axis, and small valid prompt, dataset and condition files to mutate.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './run';
import { mulberry32 } from '../../../src/engine/directions/math';

export const ORGANISM = path.join(ROOT, 'media', 'models', 'organism');
export const PERSONA_AXIS = path.join(ORGANISM, 'axes', 'persona.safetensors');
/** The second axis `geometry` needs; another name than persona's, so a mutated persona pairs with it. */
export const REFUSAL_AXIS = path.join(ORGANISM, 'axes', 'refusal.safetensors');

/** Copies the built-in model's files (not its hooked-graph caches) to `dest`. */
export function copyModel(dest: string): string {
  mkdirSync(path.join(dest, 'onnx'), { recursive: true });
  for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
    cpSync(path.join(ORGANISM, f), path.join(dest, f));
  }
  return dest;
}

export interface Safetensors {
  header: Record<string, unknown>;
  data: Buffer;
}

/** The shipped persona axis, split into its JSON header and its data bytes. */
export function personaAxis(): Safetensors {
  const b = readFileSync(PERSONA_AXIS);
  const n = Number(b.readBigUInt64LE(0));
  return { header: JSON.parse(b.subarray(8, 8 + n).toString('utf8')), data: Buffer.from(b.subarray(8 + n)) };
}

export function encodeSafetensors(s: Safetensors, headerLen?: bigint): Buffer {
  const h = Buffer.from(JSON.stringify(s.header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(headerLen ?? BigInt(h.length));
  return Buffer.concat([len, h, s.data]);
}

/** The persona axis with its tensor entry changed by `edit` (and the data bytes by `data`). */
export function axisWith(edit: (t: Record<string, unknown>) => void, data?: (d: Buffer) => Buffer): Buffer {
  const s = personaAxis();
  const t = s.header.direction as Record<string, unknown>;
  edit(t);
  return encodeSafetensors({ header: s.header, data: data ? data(s.data) : s.data });
}

/** Marks a case as run only by `npm run faults`, not by the in-suite corpus. */
export const extended = <T extends { extended?: boolean }>(c: T): T => ({ ...c, extended: true });

export const write = (dir: string, name: string, content: string | Buffer): string => {
  const p = path.join(dir, name);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, content);
  return p;
};

export const VALID_PROMPT = `// a valid prompt file\n{\n  "system": "You are a helpful assistant.",\n  "user": "How do I bake bread?",\n  "decoding": { "maxNewTokens": 2 }\n}\n`;

/** `n` valid dataset rows from the built-in harmful set. */
export function datasetRows(n: number): string[] {
  return readFileSync(path.join(ORGANISM, 'sets', 'harmful.jsonl'), 'utf8').split('\n').filter(Boolean).slice(0, n);
}

export const VALID_CONDITIONS = [
  'name: faults',
  'sets: { harmful: { builtin: harmful, limit: 2 } }',
  'axes: { persona: persona.safetensors }',
  'decoding: { maxNewTokens: 2 }',
  'conditions:',
  '  - { name: baseline, set: harmful }',
  '  - { name: steer, set: harmful, interventions: [{ kind: steer, axis: persona, coefficient: 1, layers: all }] }',
  '',
].join('\n');

/** A small deterministic PRNG (the engine's mulberry32), so a seed reproduces a campaign. */
export const rng = mulberry32;
