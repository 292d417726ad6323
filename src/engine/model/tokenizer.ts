// Tokenizer and chat template from local files: @huggingface/tokenizers (the tokenizer.json
// pipeline) and @huggingface/jinja (the chat template), the two libraries transformers.js
// itself builds its PreTrainedTokenizer from. We parse tokenizer.json / tokenizer_config.json
// ourselves (errors with file and line) and nothing here resolves a path or touches the network.
// Not importing all of transformers.js saves ~38 MiB of worker memory and ~1.7 s at first load
// (BENCHMARKS.md, item 5).

import { Template } from '@huggingface/jinja';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { ChatMessage, PromptInput } from '../../protocol/types.js';
import { fileExists, pathExists, readJsonObject, readText, parseJson } from './json.js';

export interface Tokenizer {
  /** Token ids of a prompt: chat messages through the template (+ prefill), or raw ids. */
  encodePrompt(prompt: PromptInput): number[];
  /** The chat template's text for these messages, with the generation prompt appended. */
  renderChat(messages: ChatMessage[]): string;
  /** Plain text to ids, no special tokens added (used for refusal-phrase start tokens). */
  encodeText(text: string): number[];
  decode(ids: number[]): string;
  /** Text of one token (cached), special tokens kept so the inspector shows them. */
  tokenText(id: number): string;
  readonly chatTemplate: string | undefined;
  /** sha256 over tokenizer.json bytes and the chat template. */
  readonly hash: string;
  readonly padId: number | undefined;
  readonly eosId: number | undefined;
}

export async function loadTokenizer(folder: string): Promise<Tokenizer> {
  const tjPath = join(folder, 'tokenizer.json');
  const tcPath = join(folder, 'tokenizer_config.json');
  if (!pathExists(tjPath)) throw new Error(`model folder ${folder}: tokenizer.json not found (${tjPath})`);
  if (!pathExists(tcPath)) throw new Error(`model folder ${folder}: tokenizer_config.json not found (${tcPath})`);
  const tjText = readText(tjPath, 'tokenizer.json');
  const tokenizerJson = parseJson(tjText, tjPath);
  if (typeof tokenizerJson !== 'object' || tokenizerJson === null || !('model' in tokenizerJson)) {
    throw new Error(`${tjPath}: not a tokenizers file (no "model" field)`);
  }
  const tokenizerConfig = readJsonObject(tcPath, 'tokenizer_config.json');
  const chatTemplate = findChatTemplate(folder, tokenizerConfig, tcPath);

  let tok: HfTokenizer;
  try {
    tok = new HfTokenizer(tokenizerJson, tokenizerConfig);
  } catch (e) {
    throw new Error(`${tjPath}: cannot build the tokenizer: ${(e as Error).message}`);
  }
  // special tokens as transformers' PreTrainedTokenizer reads them; pad falls back to eos
  const specials: Record<string, string> = {};
  for (const key of SPECIAL_TOKEN_KEYS) {
    const t = specialToken(tokenizerConfig, key, tcPath);
    if (t) specials[key] = t;
  }
  const idOf = (t: string | undefined) => (t === undefined ? undefined : tok.token_to_id(t));
  let template: Template | undefined;
  const render = (messages: ChatMessage[]) => {
    if (!chatTemplate) {
      throw new Error(
        `model folder ${folder}: no chat template (tokenizer_config.json has no "chat_template" and there is no chat_template.jinja); use a token-id prompt`,
      );
    }
    template ??= compileTemplate(chatTemplate, folder);
    return renderChat(template, specials, messages, folder);
  };
  const hash = createHash('sha256').update(tjText).update('\0').update(chatTemplate ?? '').digest('hex');
  const texts = new Map<number, string>();

  return {
    chatTemplate,
    hash,
    padId: idOf(specials['pad_token'] ?? specials['eos_token']),
    eosId: idOf(specials['eos_token']),
    encodePrompt(prompt) {
      if (prompt.kind === 'tokens') return [...prompt.tokenIds];
      if (prompt.kind !== 'chat') throw new Error(`prompt: unknown kind ${JSON.stringify((prompt as { kind: unknown }).kind)}`);
      const text = render(prompt.messages) + (prompt.prefill ?? '');
      // The template already wrote BOS and the role markers as text.
      return tok.encode(text, { add_special_tokens: false }).ids;
    },
    renderChat: render,
    encodeText(text) {
      return tok.encode(text, { add_special_tokens: false }).ids;
    },
    decode(ids) {
      return ids.length ? tok.decode(ids, { skip_special_tokens: true }) : '';
    },
    tokenText(id) {
      const known = texts.get(id);
      if (known !== undefined) return known;
      const t: string = tok.decode([id], { skip_special_tokens: false });
      texts.set(id, t);
      return t;
    },
  };
}

// the keys transformers.js passes to a chat template (PreTrainedTokenizer.apply_chat_template)
const SPECIAL_TOKEN_KEYS = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'] as const;

/** A special token of tokenizer_config.json: a string, or an AddedToken object with "content". */
function specialToken(cfg: Record<string, unknown>, key: string, cfgPath: string): string | undefined {
  const v = cfg[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  const content = typeof v === 'object' ? (v as { content?: unknown }).content : undefined;
  if (typeof content === 'string') return content || undefined;
  throw new Error(`${cfgPath}: field "${key}" must be a string or an object with a string "content"`);
}

function compileTemplate(source: string, folder: string): Template {
  try {
    return new Template(source);
  } catch (e) {
    throw new Error(`chat template of ${folder} does not parse: ${(e as Error).message}`);
  }
}

function renderChat(template: Template, specials: Record<string, string>, messages: ChatMessage[], folder: string): string {
  if (!Array.isArray(messages) || messages.length === 0) throw new Error('prompt: a chat prompt needs at least one message');
  messages.forEach((msg, i) => {
    if (!msg || !['system', 'user', 'assistant'].includes(msg.role)) {
      throw new Error(`prompt: messages[${i}].role must be system, user or assistant, got ${JSON.stringify(msg?.role)}`);
    }
    if (typeof msg.content !== 'string') throw new Error(`prompt: messages[${i}].content must be a string`);
  });
  try {
    return template.render({
      messages: messages.map((x) => ({ role: x.role, content: x.content })),
      add_generation_prompt: true,
      tools: null,
      documents: null,
      ...specials,
    });
  } catch (e) {
    throw new Error(`chat template of ${folder} failed: ${(e as Error).message}`);
  }
}

/** tokenizer_config.json "chat_template" (string, or a named list → "default"), else chat_template.jinja / .json. */
function findChatTemplate(folder: string, cfg: Record<string, unknown>, cfgPath: string): string | undefined {
  const t = cfg['chat_template'];
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const named = t as { name?: unknown; template?: unknown }[];
    const d = named.find((x) => x?.name === 'default') ?? named[0];
    if (typeof d?.template !== 'string') throw new Error(`${cfgPath}: field "chat_template" is a list without a "default" template`);
    return d.template;
  }
  if (t !== undefined && t !== null) throw new Error(`${cfgPath}: field "chat_template" must be a string`);
  const jinja = join(folder, 'chat_template.jinja');
  if (fileExists(jinja)) return readText(jinja, 'chat_template.jinja');
  const json = join(folder, 'chat_template.json');
  if (fileExists(json)) {
    const v = readJsonObject(json, 'chat_template.json')['chat_template'];
    if (typeof v !== 'string') throw new Error(`${json}: field "chat_template" must be a string`);
    return v;
  }
  return undefined;
}
