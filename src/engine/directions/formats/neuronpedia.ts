// Neuronpedia-style vectors: a `vector.yaml` beside a safetensors file holding one [d_model]
// tensor. The yaml names the model, layer, hook (hook_resid_pre | hook_resid_post, TransformerLens
// numbering), whether the vector is normalised before the strength is applied, the default
// strength, and the render conditions (system prompt, chat-template arguments). Field names follow
// Neuronpedia's vector API (model_id, layer_num, hook_type, default_steer_strength); common
// spellings are accepted on read (layer, hook, normalize/normalise).
import { parse, stringify } from 'yaml';
import type { Convention } from './convert';
import { VectorFormatError } from './tensor';

export interface NeuronpediaVector {
  label?: string;
  modelId?: string;
  layer: number;
  convention: Convention;
  hookType: string;
  normalize: boolean;
  strength?: number;
  vectorFile: string;
  systemPrompt?: string;
  templateKwargs?: Record<string, unknown>;
  templateSha256?: string;
  positions?: string;
}

const pick = (o: Record<string, unknown>, ...keys: string[]) => keys.map((k) => o[k]).find((v) => v !== undefined);

export function parseVectorYaml(text: string, file: string): NeuronpediaVector {
  const fail = (d: string): never => {
    throw new VectorFormatError(file, d);
  };
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 100 });
  } catch (e) {
    return fail(`bad YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) fail('vector.yaml must be a mapping');
  const o = doc as Record<string, unknown>;
  const layer = pick(o, 'layer_num', 'layer');
  if (typeof layer !== 'number' || !Number.isInteger(layer) || layer < 0) fail(`layer_num must be a non-negative integer, got ${JSON.stringify(layer)}`);
  const hook = String(pick(o, 'hook_type', 'hook', 'hook_name') ?? 'hook_resid_post');
  const h = /(?:^|\.)(hook_resid_pre|hook_resid_post|resid_pre|resid_post)$/.exec(hook);
  if (!h) fail(`hook '${hook}' is not a residual-stream hook (hook_resid_pre or hook_resid_post)`);
  const bl = /^blocks\.(\d+)\./.exec(hook);
  if (bl && Number(bl[1]) !== layer) fail(`hook '${hook}' names block ${bl[1]}, layer_num is ${layer}`);
  const normalize = pick(o, 'normalize', 'normalise', 'normalized');
  if (normalize !== undefined && typeof normalize !== 'boolean') fail(`normalize must be true or false, got ${JSON.stringify(normalize)}`);
  const strength = pick(o, 'default_steer_strength', 'strength');
  if (strength !== undefined && (typeof strength !== 'number' || !Number.isFinite(strength))) fail(`default_steer_strength must be a number`);
  const vf = pick(o, 'vector_file', 'vector', 'file') ?? 'vector.safetensors';
  if (typeof vf !== 'string' || vf.includes('/') || vf.includes('\\') || vf.startsWith('.')) fail(`vector_file must be a file name beside vector.yaml, got ${JSON.stringify(vf)}`);
  const render = (o.render && typeof o.render === 'object' ? o.render : o) as Record<string, unknown>;
  const sys = pick(render, 'system_prompt');
  if (sys !== undefined && sys !== null && typeof sys !== 'string') fail('system_prompt must be a string');
  const kw = pick(render, 'chat_template_kwargs', 'chat_template_args');
  if (kw !== undefined && (kw === null || typeof kw !== 'object' || Array.isArray(kw))) fail('chat_template_kwargs must be a mapping');
  const sha = pick(render, 'chat_template_sha256');
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    label: str(pick(o, 'label', 'name')),
    modelId: str(pick(o, 'model_id', 'model')),
    layer: layer as number,
    convention: h![1]!.endsWith('pre') ? 'resid_pre' : 'resid_post',
    hookType: h![1]!.startsWith('hook_') ? h![1]! : `hook_${h![1]}`,
    normalize: normalize === true,
    ...(strength !== undefined ? { strength: strength as number } : {}),
    vectorFile: vf as string,
    ...(typeof sys === 'string' ? { systemPrompt: sys } : {}),
    ...(kw ? { templateKwargs: kw as Record<string, unknown> } : {}),
    ...(typeof sha === 'string' ? { templateSha256: sha } : {}),
    ...(str(render.positions) ? { positions: str(render.positions) } : {}),
  };
}

export function vectorYaml(v: NeuronpediaVector): string {
  const render: Record<string, unknown> = {};
  if (v.systemPrompt !== undefined) render.system_prompt = v.systemPrompt;
  if (v.templateKwargs) render.chat_template_kwargs = v.templateKwargs;
  if (v.templateSha256) render.chat_template_sha256 = v.templateSha256;
  if (v.positions) render.positions = v.positions;
  const doc: Record<string, unknown> = {
    label: v.label,
    model_id: v.modelId,
    layer_num: v.layer,
    hook_type: v.hookType,
    normalize: v.normalize,
    ...(v.strength !== undefined ? { default_steer_strength: v.strength } : {}),
    vector_file: v.vectorFile,
    ...(Object.keys(render).length ? { render } : {}),
  };
  return '# Neuronpedia-style steering vector (written by refusal-lens vectors export)\n' + stringify(doc);
}
