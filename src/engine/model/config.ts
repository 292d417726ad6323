// config.json and generation_config.json of a Hugging Face model folder, normalised over the
// Llama/Mistral/Qwen2/Gemma/Phi-3 key names and the GPT-2 ones.

import { join } from 'node:path';
import { fileExists, pathExists, readJsonObject } from './json.js';

export interface ModelConfig {
  modelType: string;
  numLayers: number;
  dModel: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /** Longest sequence (prompt + generated) the model accepts. */
  maxPositions: number;
  vocabSize: number;
  /** Token ids that end a response (generation_config.json first, then config.json). */
  eosIds: number[];
  bosId?: number;
  padId?: number;
}

type Obj = Record<string, unknown>;

// Key names per field, in the order they are tried.
const KEYS = {
  numLayers: ['num_hidden_layers', 'n_layer', 'num_layers'],
  dModel: ['hidden_size', 'n_embd', 'd_model'],
  numHeads: ['num_attention_heads', 'n_head'],
  maxPositions: ['max_position_embeddings', 'n_positions', 'n_ctx', 'max_sequence_length'],
  vocabSize: ['vocab_size'],
} as const;

export function readModelConfig(folder: string): ModelConfig {
  const path = join(folder, 'config.json');
  if (!pathExists(path)) throw new Error(`model folder ${folder}: config.json not found (${path})`);
  let cfg = readJsonObject(path, 'config.json');
  // Multimodal wrappers (Gemma 3, Qwen-VL…) keep the language model's keys in text_config.
  const inner = cfg['text_config'];
  const top = cfg;
  if (inner && typeof inner === 'object' && !Array.isArray(inner) && !hasAny(cfg, KEYS.numLayers)) {
    cfg = { ...(inner as Obj) };
  }
  const modelType = typeof top['model_type'] === 'string' ? (top['model_type'] as string) : 'unknown';
  const numLayers = need(cfg, KEYS.numLayers, path);
  const dModel = need(cfg, KEYS.dModel, path);
  const numHeads = need(cfg, KEYS.numHeads, path);
  const numKvHeads = opt(cfg, ['num_key_value_heads', 'n_head_kv'], path) ?? numHeads;
  const headDim = opt(cfg, ['head_dim'], path) ?? dModel / numHeads;
  if (!Number.isInteger(headDim)) {
    throw new Error(`${path}: hidden_size ${dModel} is not a multiple of num_attention_heads ${numHeads}`);
  }
  const maxPositions = need(cfg, KEYS.maxPositions, path);
  const vocabSize = need(cfg, KEYS.vocabSize, path);

  const gen = readGenerationConfig(folder);
  const eosIds = gen.eosIds ?? tokenIds(cfg['eos_token_id'] ?? top['eos_token_id'], path, 'eos_token_id') ?? [];
  for (const id of eosIds) {
    if (id >= vocabSize) throw new Error(`eos_token_id ${id} is outside the vocabulary (vocab_size ${vocabSize}) in ${gen.path ?? path}`);
  }
  const bos = tokenIds(cfg['bos_token_id'], path, 'bos_token_id');
  const padId = gen.padId ?? tokenIds(cfg['pad_token_id'], path, 'pad_token_id')?.[0];
  return {
    modelType,
    numLayers,
    dModel,
    numHeads,
    numKvHeads,
    headDim,
    maxPositions,
    vocabSize,
    eosIds,
    ...(bos?.length ? { bosId: bos[0]! } : {}),
    ...(padId !== undefined ? { padId } : {}),
  };
}

function readGenerationConfig(folder: string): { eosIds?: number[]; padId?: number; path?: string } {
  const path = join(folder, 'generation_config.json');
  if (!fileExists(path)) return {};
  const g = readJsonObject(path, 'generation_config.json');
  const eos = tokenIds(g['eos_token_id'], path, 'eos_token_id');
  const pad = tokenIds(g['pad_token_id'], path, 'pad_token_id');
  return { path, ...(eos ? { eosIds: eos } : {}), ...(pad?.length ? { padId: pad[0]! } : {}) };
}

function hasAny(o: Obj, keys: readonly string[]): boolean {
  return keys.some((k) => o[k] !== undefined && o[k] !== null);
}

function need(o: Obj, keys: readonly string[], path: string): number {
  const v = opt(o, keys, path);
  if (v === undefined) {
    const alt = keys.length > 1 ? ` (or ${keys.slice(1).map((k) => `"${k}"`).join(', ')})` : '';
    throw new Error(`${path}: missing field "${keys[0]}"${alt}`);
  }
  return v;
}

function opt(o: Obj, keys: readonly string[], path: string): number | undefined {
  for (const k of keys) {
    const v = o[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw new Error(`${path}: field "${k}" must be a positive integer, got ${JSON.stringify(v)}`);
    }
    return v;
  }
  return undefined;
}

function tokenIds(v: unknown, path: string, field: string): number[] | undefined {
  if (v === undefined || v === null) return undefined;
  const list = Array.isArray(v) ? v : [v];
  for (const x of list) {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) {
      throw new Error(`${path}: field "${field}" must be a token id or a list of them, got ${JSON.stringify(v)}`);
    }
  }
  return list as number[];
}
