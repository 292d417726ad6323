// Single prompt files (*.rlprompt): JSONC (comments and trailing commas allowed) describing one
// conversation plus the model, axes, interventions and decoding to run it with. Works on strings
// so the extension can validate unsaved editor buffers. The schema for editors is
// schemas/rlprompt.schema.json; PROMPT_FIELDS and DECODING_FIELDS must match it (a test checks).
import { parseTree, type Node, type ParseError } from 'jsonc-parser';
import { jsonTooDeepAt, tooDeepMessage } from '../../protocol/nesting';
import type { Diagnostic, ParsedPrompt } from '../../protocol/prompts';
import type { DecodingOptions } from '../../protocol/types';
import { LIMITS } from '../../protocol/limits';
import type { LogitLensOptions } from '../../protocol/readouts';
import { Checker, Locator } from './check';
import { readInterventions, readNames } from './interventions';
import { readMessages, withSystem } from './messages';

export const PROMPT_FIELDS = ['$schema', 'description', 'system', 'user', 'messages', 'prefill', 'model', 'reference', 'axes', 'interventions', 'decoding', 'logitLens'] as const;
export const DECODING_FIELDS = ['maxNewTokens', 'temperature', 'topK', 'topP', 'seed', 'stopAtEos'] as const;
export const LENS_FIELDS = ['positions', 'topK'] as const;

export interface PromptFileOptions {
  /** The model's layer count: bound-checks layers and expands "all". Parse again once it is known. */
  nLayers?: number;
}

/**
 * Parses and checks a prompt file. `prompt` is present exactly when there is no error (warnings,
 * such as unknown fields, do not block). After a syntax error only syntax errors are reported,
 * since checks on a half-parsed document would mislead.
 */
export function parsePromptFile(text: string, fileLabel: string, opts: PromptFileOptions = {}): { prompt?: ParsedPrompt; diagnostics: Diagnostic[] } {
  const src = text.charCodeAt(0) === 0xfeff ? ' ' + text.slice(1) : text; // keep offsets; JSON has no BOM
  const c = new Checker(fileLabel, new Locator(src));
  const deep = jsonTooDeepAt(src); // before parseTree, which recurses per level
  if (deep !== undefined) {
    c.report(deep, 1, [], tooDeepMessage());
    return { diagnostics: c.diagnostics };
  }
  const errors: ParseError[] = [];
  const root = parseTree(src, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true });
  if (errors.length) {
    c.syntax(errors);
    return { diagnostics: c.diagnostics };
  }
  if (!root) {
    c.report(0, src.length, [], 'empty prompt file: expected an object such as { "user": "…" }');
    return { diagnostics: c.diagnostics };
  }
  if (!c.object(root, [])) return { diagnostics: c.diagnostics };
  const prompt = readPrompt(c, root, opts);
  // Checks run field by field; report in document order.
  const diagnostics = c.diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
  return c.hasErrors || !prompt ? { diagnostics } : { prompt, diagnostics };
}

function readPrompt(c: Checker, root: Node, opts: PromptFileOptions): ParsedPrompt | undefined {
  const f = c.fields(root, [], PROMPT_FIELDS);
  const str = (key: string, nonEmpty = false): string | undefined => {
    const n = f.get(key);
    return n && c.string(n, [key], { nonEmpty });
  };
  for (const key of ['$schema', 'description'] as const) str(key);
  const system = str('system');
  const prefill = str('prefill');
  const model = str('model', true);
  const reference = str('reference', true);

  const userNode = f.get('user');
  const messagesNode = f.get('messages');
  let messages: ParsedPrompt['messages'] | undefined;
  if (userNode && messagesNode) {
    c.at(messagesNode, ['messages'], 'give either "user" (one message) or "messages" (a conversation), not both');
  } else if (userNode) {
    const user = c.string(userNode, ['user']);
    if (user !== undefined && user.trim() === '') c.at(userNode, ['user'], 'empty prompt: "user" is empty');
    else if (user !== undefined) messages = [{ role: 'user', content: user }];
  } else if (messagesNode) {
    messages = readMessages(c, messagesNode, ['messages']);
  } else {
    c.report(root.offset, 1, [], 'empty prompt: give "user" (a string) or "messages" (a list of {role, content})');
  }
  if (messages) messages = withSystem(c, messages, system, f.get('system'), ['system']);

  const axesNode = f.get('axes');
  const axes = axesNode ? readNames(c, axesNode, ['axes']) : [];
  const ivNode = f.get('interventions');
  const interventions = ivNode ? readInterventions(c, ivNode, ['interventions'], opts.nLayers) : [];
  const decNode = f.get('decoding');
  const decoding = decNode ? readDecoding(c, decNode) : {};
  const lensNode = f.get('logitLens');
  const logitLens = lensNode ? readLens(c, lensNode) : false;

  if (!messages || !axes || !interventions || !decoding || logitLens === undefined) return undefined;
  const out: ParsedPrompt = { messages, axes, interventions, decoding };
  if (logitLens) out.logitLens = logitLens;
  if (prefill !== undefined) out.prefill = prefill;
  if (model !== undefined) out.model = model;
  if (reference !== undefined) out.reference = reference;
  return out;
}

function readDecoding(c: Checker, node: Node): Partial<DecodingOptions> | undefined {
  if (!c.object(node, ['decoding'])) return undefined;
  const f = c.fields(node, ['decoding'], DECODING_FIELDS);
  const out: Partial<DecodingOptions> = {};
  let ok = true;
  const num = (key: 'maxNewTokens' | 'temperature' | 'topK' | 'topP' | 'seed', o: Parameters<Checker['number']>[2]): void => {
    const n = f.get(key);
    if (!n) return;
    const v = c.number(n, ['decoding', key], o);
    if (v === undefined) ok = false;
    else out[key] = v;
  };
  num('maxNewTokens', { integer: true, min: 1 });
  num('temperature', { min: 0 });
  num('topK', { integer: true, min: 0 });
  num('topP', { min: 0, minExclusive: true, max: 1 });
  num('seed', { integer: true, min: 0 });
  const eos = f.get('stopAtEos');
  if (eos) {
    const v = c.boolean(eos, ['decoding', 'stopAtEos']);
    if (v === undefined) ok = false;
    else out.stopAtEos = v;
  }
  return ok ? out : undefined;
}

/** `"logitLens": true` or `{positions?, topK?}`; false for `false`, undefined on an error. */
function readLens(c: Checker, node: Node): LogitLensOptions | false | undefined {
  if (node.type === 'boolean') return c.boolean(node, ['logitLens']) ? {} : false;
  if (node.type !== 'object') return c.wrongType(node, ['logitLens'], 'true, false or an object {positions, topK}');
  const f = c.fields(node, ['logitLens'], LENS_FIELDS);
  const out: LogitLensOptions = {};
  let ok = true;
  const k = f.get('topK');
  if (k) {
    const v = c.number(k, ['logitLens', 'topK'], { integer: true, min: 1, max: LIMITS.lensTopK });
    if (v === undefined) ok = false;
    else out.topK = v;
  }
  const pNode = f.get('positions');
  if (pNode) {
    const items = c.array(pNode, ['logitLens', 'positions']);
    if (!items) ok = false;
    else if (items.length === 0 || items.length > LIMITS.lensPositions) {
      c.at(pNode, ['logitLens', 'positions'], `give 1 to ${LIMITS.lensPositions} token positions (0-based, or negative from the end of the prompt: -1 is its last token)`);
      ok = false;
    } else {
      const vals = items.map((n, i) => c.number(n, ['logitLens', 'positions', i], { integer: true }));
      if (vals.some((v) => v === undefined)) ok = false;
      else out.positions = vals as number[];
    }
  }
  return ok ? out : undefined;
}
