// Bad files, category by category: model folders (`model DIR`), direction files (`geometry A B`,
// which reads them without a model, and `trace --axis`), prompt files (`trace --prompt`, read
// before the model) and condition files (`ablate --check`, no model).
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import type { FaultCase } from './types';
import { axisWith, copyModel, extended, encodeSafetensors, ORGANISM, PERSONA_AXIS, personaAxis, REFUSAL_AXIS, VALID_CONDITIONS, VALID_PROMPT, write } from './inputs';

const garbage = (n: number, seed = 7) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 131 + seed * 17 + ((i * i) >> 3)) & 0xff));

export function modelCases(): FaultCase[] {
  const m = (tag: string, mutate: (dir: string) => void, needsModel = false, args: string[] = []): FaultCase => ({
    id: `model/${tag}`,
    category: 'model',
    args: ['model', `m-${tag}`, ...args],
    expect: 'error',
    names: [`m-${tag}`],
    needsModel,
    setup: (dir) => mutate(copyModel(path.join(dir, `m-${tag}`))),
  });
  const cfg = (d: string) => path.join(d, 'config.json');
  const config = JSON.parse(readFileSync(path.join(ORGANISM, 'config.json'), 'utf8')) as Record<string, unknown>;
  return [
    m('config-truncated', (d) => writeFileSync(cfg(d), readFileSync(cfg(d)).subarray(0, 40))),
    m('config-garbage', (d) => writeFileSync(cfg(d), garbage(300))),
    m('config-empty', (d) => writeFileSync(cfg(d), '')),
    m('config-array', (d) => writeFileSync(cfg(d), '[1, 2, 3]')),
    m('config-wrong-types', (d) => writeFileSync(cfg(d), JSON.stringify({ ...config, num_hidden_layers: 'six', hidden_size: -128 }))),
    m('config-zero-layers', (d) => writeFileSync(cfg(d), JSON.stringify({ ...config, num_hidden_layers: 0 }))),
    m('config-missing', (d) => execFileSync('rm', [cfg(d)])),
    m('config-directory', (d) => (execFileSync('rm', [cfg(d)]), mkdirSync(cfg(d)))),
    m('tokenizer-missing', (d) => execFileSync('rm', [path.join(d, 'tokenizer.json')])),
    m('tokenizer-garbage', (d) => writeFileSync(path.join(d, 'tokenizer.json'), garbage(2000))),
    m('tokenizer-truncated', (d) => writeFileSync(path.join(d, 'tokenizer.json'), readFileSync(path.join(d, 'tokenizer.json')).subarray(0, 5000))),
    m('onnx-truncated', (d) => writeFileSync(path.join(d, 'onnx/model.onnx'), readFileSync(path.join(d, 'onnx/model.onnx')).subarray(0, 3_000_000)), true),
    m('onnx-garbage', (d) => writeFileSync(path.join(d, 'onnx/model.onnx'), garbage(4096)), true),
    extended(m('onnx-empty', (d) => writeFileSync(path.join(d, 'onnx/model.onnx'), ''), true)),
    m('onnx-missing', (d) => execFileSync('rm', [path.join(d, 'onnx/model.onnx')])),
    m('onnx-directory', (d) => (execFileSync('rm', [path.join(d, 'onnx/model.onnx')]), mkdirSync(path.join(d, 'onnx/model.onnx')))),
    m('dtype-absent', () => {}, false, ['--dtype', 'q4']),
    { id: 'model/folder-missing', category: 'model', args: ['model', 'no-such-model'], expect: 'error', names: ['no-such-model'], needsModel: false },
    { id: 'model/folder-is-file', category: 'model', args: ['model', 'a-file'], expect: 'error', names: ['a-file'], needsModel: false, setup: (d) => write(d, 'a-file', 'hello\n') },
  ];
}

export function directionCases(): FaultCase[] {
  const geo = (tag: string, bytes: () => Buffer, expect: FaultCase['expect'] = 'error'): FaultCase => ({
    id: `direction/${tag}`,
    category: 'direction',
    args: ['geometry', `d-${tag}.safetensors`, 'ok.safetensors', '--samples', '10'],
    expect,
    names: [`d-${tag}.safetensors`],
    needsModel: false,
    setup: (dir) => {
      cpSync(REFUSAL_AXIS, path.join(dir, 'ok.safetensors'));
      write(dir, `d-${tag}.safetensors`, bytes());
    },
  });
  const full = () => readFileSync(PERSONA_AXIS);
  const lenPrefixed = (len: bigint, rest: Buffer) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(len);
    return Buffer.concat([b, rest]);
  };
  const s = personaAxis();
  const special = (v: number) => (d: Buffer) => {
    const out = Buffer.from(d);
    for (let i = 0; i < out.length; i += 4) out.writeFloatLE(v, i);
    return out;
  };
  const path_ = (tag: string, target: string, setup?: (dir: string) => void, extra: Partial<FaultCase> = {}): FaultCase => ({
    id: `direction/${tag}`, category: 'direction', args: ['geometry', target, 'ok.safetensors', '--samples', '10'], expect: 'error', names: [target], needsModel: false,
    setup: (dir) => {
      cpSync(REFUSAL_AXIS, path.join(dir, 'ok.safetensors'));
      setup?.(dir);
    },
    ...extra,
  });
  return [
    geo('empty', () => Buffer.alloc(0)),
    geo('truncated-5', () => full().subarray(0, 5)),
    geo('truncated-header', () => full().subarray(0, 300)),
    geo('truncated-data', () => full().subarray(0, full().length - 100)),
    geo('header-len-huge', () => lenPrefixed(0xffffffffffffffffn, full().subarray(8))),
    geo('header-len-past-end', () => lenPrefixed(1_000_000n, full().subarray(8))),
    geo('header-len-zero', () => lenPrefixed(0n, full().subarray(8))),
    geo('header-not-json', () => lenPrefixed(20n, Buffer.from('this is not json!!!!'))),
    geo('header-array', () => lenPrefixed(7n, Buffer.from('[1,2,3]'))),
    geo('header-no-tensor', () => encodeSafetensors({ header: { __metadata__: s.header.__metadata__ }, data: Buffer.alloc(0) })),
    geo('dtype-i64', () => axisWith((t) => (t.dtype = 'I64'))),
    geo('dtype-f16', () => axisWith((t) => ((t.dtype = 'F16'), (t.shape = [6, 256])))),
    geo('dtype-bogus', () => axisWith((t) => (t.dtype = 'X99'))),
    geo('shape-mismatch', () => axisWith((t) => (t.shape = [6, 64]))),
    geo('shape-negative', () => axisWith((t) => (t.shape = [-6, -128]))),
    geo('shape-not-array', () => axisWith((t) => (t.shape = 'six by 128'))),
    geo('offsets-reversed', () => axisWith((t) => (t.data_offsets = [3072, 0]))),
    geo('offsets-past-end', () => axisWith((t) => (t.data_offsets = [0, 30720]))),
    geo('values-nan', () => axisWith(() => {}, special(NaN))),
    geo('values-inf', () => axisWith(() => {}, special(Infinity))),
    geo('values-zero', () => axisWith(() => {}, special(0)), 'any'),
    geo('metadata-not-strings', () => encodeSafetensors({ header: { ...s.header, __metadata__: { name: 5, model_name: { x: 1 } } }, data: s.data })),
    geo('garbage', () => garbage(5000)),
    path_('missing', 'no-such.safetensors'),
    path_('directory', 'a-dir.safetensors', (d) => mkdirSync(path.join(d, 'a-dir.safetensors'))),
    path_('dev-null', '/dev/null'),
    path_('dev-zero', '/dev/zero', undefined, { hazard: 'reads /dev/zero without a bound (grows ~250 MB/s)' }),
    path_('fifo', 'a-fifo.safetensors', (d) => execFileSync('mkfifo', [path.join(d, 'a-fifo.safetensors')]), { hazard: 'blocks forever on the FIFO (costs the whole time bound)' }),
    {
      id: 'direction/trace-fifo', category: 'direction', needsModel: true, expect: 'error', names: ['t-fifo.safetensors'],
      args: ['trace', '--text', 'hi', '-n', '1', '--axis', 't-fifo.safetensors'],
      setup: (dir) => execFileSync('mkfifo', [path.join(dir, 't-fifo.safetensors')]),
      hazard: 'blocks forever on the FIFO (costs the whole time bound)',
    },
    {
      id: 'direction/trace-wrong-d-model', category: 'direction', needsModel: true, expect: 'error', names: ['small.safetensors'],
      args: ['trace', '--text', 'hi', '-n', '1', '--axis', 'small.safetensors'],
      setup: (dir) => write(dir, 'small.safetensors', axisWith((t) => ((t.shape = [6, 64]), (t.data_offsets = [0, 1536])), (d) => d.subarray(0, 1536))),
    },
    {
      // Same shape as the built-in model's axes, written for another graph: load, but say so.
      id: 'direction/trace-other-model', category: 'direction', needsModel: true, expect: 'ok-warn', names: ['other-model.safetensors'],
      args: ['trace', '--text', 'hi', '-n', '1', '--axis', 'other-model.safetensors'],
      setup: (dir) => {
        const h = personaAxis();
        (h.header.__metadata__ as Record<string, string>).model_graph_hash = '0'.repeat(64);
        (h.header.__metadata__ as Record<string, string>).name = 'elsewhere';
        write(dir, 'other-model.safetensors', encodeSafetensors(h));
      },
    },
  ];
}

export function promptCases(): FaultCase[] {
  const p = (tag: string, content: string | Buffer | null, expect: FaultCase['expect'] = 'error', needsModel = false, extra: Partial<FaultCase> = {}): FaultCase => ({
    id: `prompt/${tag}`,
    category: 'prompt',
    args: ['trace', '--prompt', `p-${tag}.rlprompt`, '-n', '2'],
    expect,
    names: [`p-${tag}.rlprompt`],
    needsModel,
    setup: content === null ? undefined : (dir) => write(dir, `p-${tag}.rlprompt`, content),
    ...extra,
  });
  return [
    p('bad-jsonc', '{ "user": "hi", '),
    p('not-object', '[1, 2, 3]'),
    p('string', '"just a string"'),
    p('wrong-types', '{ "user": 5, "system": ["x"], "decoding": { "maxNewTokens": "many" } }'),
    p('messages-wrong', '{ "messages": [{ "role": "wizard", "content": 3 }] }'),
    p('empty', ''),
    p('whitespace', '   \n\n  '),
    p('garbage', garbage(800)),
    extended(p('layers-out-of-range', '{ "user": "hi", "interventions": [{ "kind": "steer", "axis": "persona", "coefficient": 1, "layers": "0-99" }] }', 'error', true)),
    p('unknown-axis', '{ "user": "hi", "interventions": [{ "kind": "steer", "axis": "nope", "coefficient": 1, "layers": "all" }] }', 'error', true, { names: ['p-unknown-axis.rlprompt', '"nope"'] }),
    // A misspelt field runs without it: the user must hear about it.
    p('unknown-field', '{ "sytem": "You are a pirate.", "user": "hi", "decoding": { "maxNewTokens": 2 } }', 'ok-warn', true),
    p('unknown-field-strict', '{ "sytem": "You are a pirate.", "user": "hi", "decoding": { "maxNewTokens": 2 } }', 'error', false, {
      args: ['trace', '--prompt', 'p-unknown-field-strict.rlprompt', '-n', '2', '--strict'],
    }),
    p('deep-nesting', `{ "user": "hi", "x": ${'['.repeat(100_000)}${']'.repeat(100_000)} }`),
    p('huge', `{ "user": "${'word '.repeat(40_000)}" }`, 'error', true, { names: ['p-huge.rlprompt', 'prompt'] }),
    extended(p('bom-valid', '\ufeff' + VALID_PROMPT, 'ok', true)),
    p('missing', null),
    { id: 'prompt/directory', category: 'prompt', args: ['trace', '--prompt', 'p-dir.rlprompt'], expect: 'error', names: ['p-dir.rlprompt'], needsModel: false, setup: (d) => mkdirSync(path.join(d, 'p-dir.rlprompt')) },
  ];
}

export function conditionCases(): FaultCase[] {
  const c = (tag: string, content: string, ext = 'yaml', expect: FaultCase['expect'] = 'error', check = true, extra: Partial<FaultCase> = {}): FaultCase => ({
    id: `conditions/${tag}`,
    category: 'conditions',
    args: ['ablate', `c-${tag}.${ext}`, ...(check ? ['--check'] : ['--out', 'receipt'])],
    expect,
    names: [`c-${tag}.${ext}`],
    needsModel: !check,
    setup: (dir) => {
      cpSync(PERSONA_AXIS, path.join(dir, 'persona.safetensors'));
      write(dir, `c-${tag}.${ext}`, content);
    },
    ...extra,
  });
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`), VALID_CONDITIONS].join('\n');
  return [
    c('valid', VALID_CONDITIONS, 'yaml', 'ok'),
    c('bad-yaml', 'sets: [unclosed\nconditions: {'),
    c('alias-bomb', bomb),
    c('wrong-types', 'sets: 5\naxes: "none"\nconditions: "all of them"\n'),
    c('unknown-axis', VALID_CONDITIONS.replace('axis: persona', 'axis: nonesuch')),
    c('unknown-set', VALID_CONDITIONS.replace('{ name: baseline, set: harmful }', '{ name: baseline, set: harmfull }')),
    c('unknown-field', VALID_CONDITIONS + 'bogus: 1\n'),
    c('zero-tokens', VALID_CONDITIONS.replace('maxNewTokens: 2', 'maxNewTokens: 0')),
    c('empty', ''),
    c('scalar', '42\n'),
    c('bad-json', '{ "sets": ', 'json'),
    c('deep-nesting', `sets: ${'['.repeat(5000)}${']'.repeat(5000)}\n`),
    c('garbage', garbage(600).toString('latin1')),
    c('truncated-axis', VALID_CONDITIONS.replace('persona.safetensors', 'trunc.safetensors'), 'yaml', 'error', false, {
      names: ['trunc.safetensors'],
      setup: (dir) => {
        write(dir, 'trunc.safetensors', readFileSync(PERSONA_AXIS).subarray(0, 500));
        write(dir, 'c-truncated-axis.yaml', VALID_CONDITIONS.replace('persona.safetensors', 'trunc.safetensors'));
      },
    }),
    // The output folder cannot be made (a file is in the way): say so before generating anything.
    c('out-blocked', VALID_CONDITIONS, 'yaml', 'error', false, {
      args: ['ablate', 'c-out-blocked.yaml', '--out', 'a-file/receipt'],
      names: ['a-file'],
      setup: (dir) => {
        cpSync(PERSONA_AXIS, path.join(dir, 'persona.safetensors'));
        write(dir, 'c-out-blocked.yaml', VALID_CONDITIONS);
        write(dir, 'a-file', 'not a folder\n');
      },
      check: (_dir, stderr) => (/\d+\/\d+\s+\d+%/.test(stderr) ? 'generated before finding that the output folder cannot be made' : undefined),
    }),
    c('dev-zero-axis', VALID_CONDITIONS.replace('persona.safetensors', '/dev/zero'), 'yaml', 'error', false, { names: ['/dev/zero'], hazard: 'reads /dev/zero without a bound' }),
    { id: 'conditions/missing', category: 'conditions', args: ['ablate', 'c-none.yaml', '--check'], expect: 'error', names: ['c-none.yaml'], needsModel: false },
    { id: 'conditions/directory', category: 'conditions', args: ['ablate', 'c-dir.yaml', '--check'], expect: 'error', names: ['c-dir.yaml'], needsModel: false, setup: (d) => mkdirSync(path.join(d, 'c-dir.yaml')) },
  ];
}
