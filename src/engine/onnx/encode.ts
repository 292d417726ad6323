// Re-encoding of the messages proto.ts decodes. A message that did not change is emitted from
// its original bytes; one that did is rebuilt field by field in its original field order, with
// the fields this codec does not interpret copied verbatim. New messages are written in
// field-number order.

import type { Attribute, GraphProto, ModelProto, NodeProto, OpsetId, Origin, TensorProto, ValueInfo } from './proto';
import { Writer, WT_LEN } from './wire';

/** `body` is null when the message is unchanged (its original bytes stand). */
interface Enc {
  changed: boolean;
  body: Writer | null;
}

interface Emitter {
  no: number;
  changed: boolean;
  write(w: Writer): void;
}

function rebuild(o: Origin | undefined, ems: Emitter[]): Enc {
  if (o && !ems.some((e) => e.changed)) return { changed: false, body: null };
  const w = new Writer();
  const byNo = new Map(ems.map((e) => [e.no, e]));
  const done = new Set<number>();
  // owned fields absent from the original go before the first field with a larger number
  const pending = ems.filter((e) => !o || !o.fields.some((f) => f.no === e.no)).sort((a, b) => a.no - b.no);
  let pi = 0;
  for (const f of o?.fields ?? []) {
    while (pi < pending.length && pending[pi]!.no < f.no) pending[pi++]!.write(w);
    const e = byNo.get(f.no);
    if (!e) w.bytes(f.raw);
    else if (!done.has(f.no)) {
      done.add(f.no);
      e.write(w);
    }
  }
  while (pi < pending.length) pending[pi++]!.write(w);
  return { changed: true, body: w };
}

const strOne = (no: number, v: string, orig: string | undefined): Emitter => ({
  no,
  changed: orig === undefined || v !== orig,
  write: (w) => {
    if (v !== '') w.string(no, v);
  },
});

const sameList = <T>(a: readonly T[], b: readonly T[] | undefined): boolean =>
  b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);

const strList = (no: number, v: string[], orig: string[] | undefined): Emitter => ({
  no,
  changed: !sameList(v, orig),
  write: (w) => {
    for (const s of v) w.string(no, s);
  },
});

interface Item {
  readonly _o?: Origin;
}

function emitItem(w: Writer, no: number, item: Item, enc: Enc): void {
  const f = item._o?.field;
  if (!enc.changed && f) {
    if (f.no === no) w.bytes(f.raw);
    else w.lenBytes(no, f.data);
    return;
  }
  const body = enc.body ?? new Writer();
  w.tag(no, WT_LEN);
  w.varint(body.length);
  w.append(body);
}

function msgList<T extends Item>(no: number, items: T[], orig: T[] | undefined, enc: (x: T) => Enc): Emitter {
  const encs = items.map(enc);
  return {
    no,
    changed: !sameList(items, orig) || encs.some((e) => e.changed),
    write: (w) => items.forEach((x, i) => emitItem(w, no, x, encs[i]!)),
  };
}

/** Read-only items: original bytes if they came from the file, else a fresh encoding. */
const fixed = <T extends Item>(fresh: (x: T, w: Writer) => void) => (x: T): Enc => {
  if (x._o?.field) return { changed: false, body: null };
  const w = new Writer();
  fresh(x, w);
  return { changed: true, body: w };
};

const encOpset = fixed<OpsetId>((o, w) => {
  if (o.domain) w.string(1, o.domain);
  w.int(2, o.version);
});

const encTensor = fixed<TensorProto>((t, w) => {
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType);
  if (t.name) w.string(8, t.name);
  if (t.rawData) w.lenBytes(9, t.rawData);
  // external data (a graph built in memory, src/engine/checkpoint): location/offset/length entries
  for (const e of t.externalData) {
    const kv = new Writer();
    kv.string(1, e.key);
    kv.string(2, e.value);
    w.message(13, kv);
  }
  if (t.dataLocation) w.int(14, t.dataLocation);
});

const encAttribute = fixed<Attribute>((a, w) => {
  w.string(1, a.name);
  if (a.f !== undefined) w.float(2, a.f);
  if (a.i !== undefined) w.int(3, a.i);
  if (a.s !== undefined) w.lenBytes(4, a.s);
  if (a.t !== undefined) emitItem(w, 5, a.t, encTensor(a.t));
  for (const f of a.floats ?? []) w.float(7, f);
  for (const i of a.ints ?? []) w.int(8, i);
  w.int(20, a.type);
});

const encValueInfo = fixed<ValueInfo>((v, w) => {
  w.string(1, v.name);
  if (v.elemType === undefined) return;
  const tensor = new Writer();
  tensor.int(1, v.elemType);
  if (v.dims) {
    const shape = new Writer();
    for (const d of v.dims) {
      const dim = new Writer();
      if (typeof d === 'number') dim.int(1, d);
      else if (typeof d === 'string') dim.string(2, d);
      shape.message(1, dim);
    }
    tensor.message(2, shape);
  }
  const type = new Writer();
  type.message(1, tensor);
  w.message(2, type);
});

function encNode(n: NodeProto): Enc {
  const s = n._snap;
  return rebuild(n._o, [
    strList(1, n.input, s?.input),
    strList(2, n.output, s?.output),
    strOne(3, n.name, s?.name),
    strOne(4, n.opType, s?.opType),
    msgList(5, n.attributes, s?.attributes, encAttribute),
    strOne(7, n.domain, s?.domain),
  ]);
}

function encGraph(g: GraphProto): Enc {
  const s = g._snap;
  return rebuild(g._o, [
    msgList(1, g.node, s?.node, encNode),
    msgList(5, g.initializer, s?.initializer, encTensor),
    msgList(11, g.input, s?.input, encValueInfo),
    msgList(12, g.output, s?.output, encValueInfo),
    msgList(13, g.valueInfo, s?.valueInfo, encValueInfo),
  ]);
}

export function encodeModelBody(m: ModelProto): Writer {
  const ge = encGraph(m.graph);
  const enc = rebuild(m._o, [
    ...(m._o ? [] : [{ no: 1, changed: true, write: (w: Writer) => w.int(1, m.irVersion) }]),
    { no: 7, changed: ge.changed, write: (w) => emitItem(w, 7, m.graph, ge) },
    msgList(8, m.opsetImport, m._snap?.opsetImport, encOpset),
  ]);
  if (enc.body) return enc.body;
  const w = new Writer();
  w.bytes(m._o!.bytes);
  return w;
}

