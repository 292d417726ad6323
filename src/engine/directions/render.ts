// Render conditions travel with a vector: the chat template (by sha256), the system prompt(s) and
// the token positions it was extracted under. Stored as metadata strings; comparing them with the
// conditions a vector is applied under gives warnings, never errors (docs/vectors.md).
import { createHash } from 'node:crypto';
import type { PromptInput } from '../../protocol/types';
import type { Direction } from './direction';

/** Metadata keys (safetensors __metadata__ values are strings; lists are JSON). */
export const RENDER_KEYS = {
  templateSha256: 'render_template_sha256',
  systemPrompts: 'render_system_prompts',
  templateKwargs: 'render_template_kwargs',
} as const;

export interface RenderConditions {
  /** sha256 (hex) of the chat template text. */
  templateSha256?: string;
  /** The system prompts the vector was extracted with ([] = none; absent = not recorded). */
  systemPrompts?: string[];
  /** Chat-template arguments (e.g. {"enable_thinking": false}). */
  templateKwargs?: Record<string, unknown>;
}

export function renderToStrings(r: RenderConditions): Record<string, string> {
  const out: Record<string, string> = {};
  if (r.templateSha256 !== undefined) out[RENDER_KEYS.templateSha256] = r.templateSha256;
  if (r.systemPrompts !== undefined) out[RENDER_KEYS.systemPrompts] = JSON.stringify(r.systemPrompts);
  if (r.templateKwargs !== undefined) out[RENDER_KEYS.templateKwargs] = JSON.stringify(r.templateKwargs);
  return out;
}

/** The render conditions a direction records (unparseable values are treated as not recorded). */
export function renderConditionsOf(dir: Direction): RenderConditions {
  const o = dir.meta.other ?? {};
  const r: RenderConditions = {};
  if (o[RENDER_KEYS.templateSha256]) r.templateSha256 = o[RENDER_KEYS.templateSha256];
  const parse = (s: string | undefined) => {
    try {
      return s === undefined ? undefined : (JSON.parse(s) as unknown);
    } catch {
      return undefined;
    }
  };
  const sp = parse(o[RENDER_KEYS.systemPrompts]);
  if (Array.isArray(sp) && sp.every((x) => typeof x === 'string')) r.systemPrompts = sp as string[];
  const kw = parse(o[RENDER_KEYS.templateKwargs]);
  if (kw && typeof kw === 'object' && !Array.isArray(kw)) r.templateKwargs = kw as Record<string, unknown>;
  return r;
}

/** Where a vector is applied: the model's template hash and the prompt's system prompt. */
export interface ApplyConditions {
  templateSha256?: string;
  /** The system messages joined by newlines; '' when there is none; undefined when not known. */
  systemPrompt?: string;
}

/** sha256 (hex) of a chat template's text; undefined for a model without one. */
export function chatTemplateSha256(template: string | undefined): string | undefined {
  return template === undefined ? undefined : createHash('sha256').update(template).digest('hex');
}

/** The system prompt of a chat prompt, as extract records it ('' for none); undefined for token ids. */
export function promptSystem(p: PromptInput): string | undefined {
  if (p.kind !== 'chat') return undefined;
  return p.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n');
}

function clip(s: string): string {
  return s === '' ? '(none)' : s.length > 60 ? `${JSON.stringify(s.slice(0, 57))}…` : JSON.stringify(s);
}

/** Warnings for applying `dir` under conditions other than those it was extracted under. */
export function renderWarnings(dir: Direction, now: ApplyConditions): string[] {
  const r = renderConditionsOf(dir);
  const label = dir.file ?? `axis '${dir.name}'`;
  const out: string[] = [];
  if (r.templateSha256 && now.templateSha256 && r.templateSha256 !== now.templateSha256) {
    out.push(`${label}: extracted under chat template ${r.templateSha256.slice(0, 12)}…, applied under ${now.templateSha256.slice(0, 12)}…; its readings and steering may not transfer`);
  }
  if (r.systemPrompts && now.systemPrompt !== undefined && !r.systemPrompts.includes(now.systemPrompt)) {
    const was = r.systemPrompts.length > 3 ? `${r.systemPrompts.length} system prompts` : `system prompt ${r.systemPrompts.map(clip).join(' / ')}`;
    out.push(`${label}: extracted with ${was}, applied with ${now.systemPrompt === '' ? 'none' : clip(now.systemPrompt)}`);
  }
  return out;
}
