// A restricted unpickler for PyTorch checkpoints: it builds plain data and never calls anything.
// A pickle may only name the globals torch.save uses for tensors (torch._utils._rebuild_tensor_v2,
// the torch.*Storage types, collections.OrderedDict); any other GLOBAL / STACK_GLOBAL, a REDUCE
// of anything else, and the object-building opcodes (INST, OBJ, NEWOBJ, EXT*, PERSID) are refused
// where they appear, so a `.pt` file can never run code here. Sizes and opcodes are bounded.
import { VectorFormatError } from './tensor';

export type PyValue =
  | null | boolean | number | string | Uint8Array
  | PyValue[]
  | { t: 'tuple'; items: PyValue[] }
  | { t: 'dict'; entries: Array<[PyValue, PyValue]> }
  | { t: 'global'; module: string; name: string }
  | { t: 'storage'; storageType: string; key: string; numel: number }
  | { t: 'tensor'; storage: { storageType: string; key: string; numel: number }; offset: number; size: number[]; stride: number[] };

/** Opcodes one vector pickle may execute (a dict of 100 layers needs a few thousand). */
export const MAX_PICKLE_OPS = 1_000_000;
const MAX_STACK = 100_000;
const MAX_MEMO = 100_000;

const ALLOWED_GLOBALS = new Set(['torch._utils._rebuild_tensor_v2', 'collections.OrderedDict']);
/** torch.FloatStorage etc.: the typed storage classes torch.save names for a tensor's dtype. */
const STORAGE = /^torch\.[A-Za-z0-9]*Storage$/;

function allowed(module: string, name: string): boolean {
  const full = `${module}.${name}`;
  return ALLOWED_GLOBALS.has(full) || STORAGE.test(full);
}

const MARK = Symbol('mark');
type Item = PyValue | typeof MARK;

const isTuple = (v: PyValue): v is { t: 'tuple'; items: PyValue[] } => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && v.t === 'tuple';
const isGlobal = (v: PyValue, full: string): boolean =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && v.t === 'global' && `${v.module}.${v.name}` === full;

/** Unpickles `bytes` (protocols 2–5) into plain values; `where` names the pickle in messages. */
export function unpickle(bytes: Uint8Array, file: string, where: string): PyValue {
  const fail = (d: string): never => {
    throw new VectorFormatError(file, `${where}: ${d}`);
  };
  const refuse = (what: string, at: number): never =>
    fail(
      `the pickle asks for ${what} (byte ${at}); a vector file may only hold tensors, storages, dicts, lists, tuples, numbers and strings, ` +
        'so it is refused and nothing in it is run (if you trust the file, load it in Python and save the tensor alone: torch.save(t.float(), path))',
    );
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const td = new TextDecoder('utf-8', { fatal: false });
  const stack: Item[] = [];
  const memo = new Map<number, PyValue>();
  let p = 0;
  let ops = 0;
  const need = (n: number) => {
    if (p + n > bytes.length) fail(`truncated pickle: needs ${n} more bytes at byte ${p}`);
  };
  const u8 = () => (need(1), bytes[p++]!);
  const u16 = () => (need(2), (p += 2), dv.getUint16(p - 2, true));
  const u32 = () => (need(4), (p += 4), dv.getUint32(p - 4, true));
  const i32 = () => (need(4), (p += 4), dv.getInt32(p - 4, true));
  const u64 = () => {
    need(8);
    const v = dv.getBigUint64(p, true);
    p += 8;
    if (v > BigInt(bytes.length)) fail(`length ${v} at byte ${p - 8} runs past the end of the pickle`);
    return Number(v);
  };
  const take = (n: number) => (need(n), (p += n), bytes.subarray(p - n, p));
  const line = () => {
    const end = bytes.indexOf(0x0a, p);
    if (end < 0) fail(`truncated pickle: unterminated line at byte ${p}`);
    const s = td.decode(bytes.subarray(p, end));
    p = end + 1;
    return s;
  };
  const push = (v: Item) => {
    if (stack.length >= MAX_STACK) fail(`pickle stack deeper than ${MAX_STACK}`);
    stack.push(v);
  };
  const pop = (): PyValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) return fail(`malformed pickle: stack underflow at byte ${p}`);
    return v;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) return fail(`malformed pickle: empty stack at byte ${p}`);
    return v;
  };
  const popMark = (): PyValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail(`malformed pickle: no MARK at byte ${p}`);
    const items = stack.splice(i) as PyValue[];
    items.shift();
    return items;
  };
  const setItems = (d: PyValue, kv: PyValue[]) => {
    if (typeof d !== 'object' || d === null || Array.isArray(d) || d instanceof Uint8Array || d.t !== 'dict') return fail(`SETITEM on a non-dict at byte ${p}`);
    for (let i = 0; i + 1 < kv.length; i += 2) d.entries.push([kv[i]!, kv[i + 1]!]);
  };
  const memoPut = (k: number) => {
    if (memo.size >= MAX_MEMO && !memo.has(k)) fail(`pickle memo larger than ${MAX_MEMO}`);
    memo.set(k, top());
  };
  const memoGet = (k: number) => {
    const v = memo.get(k);
    if (v === undefined) fail(`malformed pickle: memo key ${k} unset at byte ${p}`);
    push(v!);
  };
  const global = (module: string, name: string, at: number) => {
    if (!allowed(module, name)) refuse(`${module}.${name}`, at);
    push({ t: 'global', module, name });
  };
  for (;;) {
    if (++ops > MAX_PICKLE_OPS) fail(`pickle runs more than ${MAX_PICKLE_OPS} opcodes`);
    const at = p;
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: u64(); break; // FRAME (length only; frames are contiguous here)
      case 0x2e: { // STOP
        const v = pop();
        return v;
      }
      case 0x28: push(MARK); break; // MARK
      case 0x29: push({ t: 'tuple', items: [] }); break;
      case 0x74: push({ t: 'tuple', items: popMark() }); break; // TUPLE
      case 0x85: push({ t: 'tuple', items: [pop()] }); break;
      case 0x86: { const b = pop(); const a = pop(); push({ t: 'tuple', items: [a, b] }); break; }
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); push({ t: 'tuple', items: [a, b, c] }); break; }
      case 0x5d: push([]); break; // EMPTY_LIST
      case 0x6c: push(popMark()); break; // LIST
      case 0x61: { const v = pop(); const l = top(); if (!Array.isArray(l)) fail(`APPEND to a non-list at byte ${at}`); (l as PyValue[]).push(v); break; }
      case 0x65: { const items = popMark(); const l = top(); if (!Array.isArray(l)) fail(`APPENDS to a non-list at byte ${at}`); for (const v of items) (l as PyValue[]).push(v); break; }
      case 0x7d: push({ t: 'dict', entries: [] }); break; // EMPTY_DICT
      case 0x64: { const kv = popMark(); const d: PyValue = { t: 'dict', entries: [] }; setItems(d, kv); push(d); break; } // DICT
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const kv = popMark(); setItems(top(), kv); break; } // SETITEMS
      case 0x4e: push(null); break;
      case 0x88: push(true); break;
      case 0x89: push(false); break;
      case 0x4a: push(i32()); break; // BININT
      case 0x4b: push(u8()); break; // BININT1
      case 0x4d: push(u16()); break; // BININT2
      case 0x8a: { // LONG1
        const n = u8();
        const b = take(n);
        if (n > 6) fail(`integer of ${n} bytes at byte ${at} is too large for a tensor size`);
        let v = 0;
        for (let i = n - 1; i >= 0; i--) v = v * 256 + b[i]!;
        if (n && b[n - 1]! & 0x80) v -= 2 ** (8 * n);
        push(v);
        break;
      }
      case 0x49: { // INT (text)
        const s = line();
        push(s === '01' ? true : s === '00' ? false : Number(s));
        break;
      }
      case 0x47: need(8); push(dv.getFloat64(p, false)); p += 8; break; // BINFLOAT (big-endian)
      case 0x58: { const n = u32(); push(td.decode(take(n))); break; } // BINUNICODE
      case 0x8c: { const n = u8(); push(td.decode(take(n))); break; } // SHORT_BINUNICODE
      case 0x8d: { const n = u64(); push(td.decode(take(n))); break; } // BINUNICODE8
      case 0x42: { const n = u32(); push(take(n).slice()); break; } // BINBYTES
      case 0x43: { const n = u8(); push(take(n).slice()); break; } // SHORT_BINBYTES
      case 0x71: memoPut(u8()); break; // BINPUT
      case 0x72: memoPut(u32()); break; // LONG_BINPUT
      case 0x94: memoPut(memo.size); break; // MEMOIZE
      case 0x68: memoGet(u8()); break; // BINGET
      case 0x6a: memoGet(u32()); break; // LONG_BINGET
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: push(top()); break; // DUP
      case 0x63: { const module = line(); const name = line(); global(module, name, at); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail(`STACK_GLOBAL without two strings at byte ${at}`);
        global(module as string, name as string, at);
        break;
      }
      case 0x51: { // BINPERSID: torch's ('storage', StorageType, key, location, numel)
        const pid = pop();
        const it = isTuple(pid) ? pid.items : [];
        const type = it[1];
        if (it.length !== 5 || it[0] !== 'storage' || typeof it[2] !== 'string' || typeof it[4] !== 'number' || !type || typeof type !== 'object' || Array.isArray(type) || type instanceof Uint8Array || type.t !== 'global') {
          fail(`persistent id at byte ${at} is not a torch storage reference`);
        }
        const g = type as { module: string; name: string };
        push({ t: 'storage', storageType: g.name, key: it[2] as string, numel: it[4] as number });
        break;
      }
      case 0x52: { // REDUCE: only the two constructors torch.save uses
        const args = pop();
        const fn = pop();
        if (isGlobal(fn, 'torch._utils._rebuild_tensor_v2')) push(rebuildTensor(args, at, fail));
        else if (isGlobal(fn, 'collections.OrderedDict')) {
          if (!isTuple(args) || args.items.length !== 0) fail(`OrderedDict called with arguments at byte ${at}`);
          push({ t: 'dict', entries: [] });
        } else {
          const f = fn as { module?: string; name?: string };
          refuse(`a call to ${f?.module && f?.name ? `${f.module}.${f.name}` : 'a non-function'}`, at);
        }
        break;
      }
      case 0x62: { // BUILD: only the empty state of an OrderedDict or tensor is harmless
        const state = pop();
        const empty = state === null || (typeof state === 'object' && !Array.isArray(state) && !(state instanceof Uint8Array) && state.t === 'dict' && state.entries.length === 0);
        if (!empty) refuse('object state to be set (BUILD)', at);
        break;
      }
      case 0x69: case 0x6f: case 0x81: case 0x92: case 0x82: case 0x83: case 0x84: case 0x50:
        refuse(`an object to be constructed (opcode 0x${op.toString(16)})`, at);
        break;
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16)} at byte ${at}`);
    }
  }
}

function rebuildTensor(args: PyValue, at: number, fail: (d: string) => never): PyValue {
  const it = isTuple(args) ? args.items : [];
  const [storage, offset, size, stride] = it;
  const ints = (v: PyValue) => (isTuple(v) ? v.items : []).every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0);
  if (it.length < 4 || !storage || typeof storage !== 'object' || Array.isArray(storage) || storage instanceof Uint8Array || storage.t !== 'storage') {
    return fail(`_rebuild_tensor_v2 at byte ${at} is not given a storage`);
  }
  if (typeof offset !== 'number' || !isTuple(size!) || !isTuple(stride!) || !ints(size!) || !ints(stride!) || size.items.length !== stride.items.length) {
    return fail(`_rebuild_tensor_v2 at byte ${at} has a bad offset, size or stride`);
  }
  return { t: 'tensor', storage: { storageType: storage.storageType, key: storage.key, numel: storage.numel }, offset, size: size.items as number[], stride: stride.items as number[] };
}
