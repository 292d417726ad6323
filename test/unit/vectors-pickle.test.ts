// A .pt file can never run code: real malicious pickles made by Python are refused with a
// message, and the command they carry is never executed (the marker file it would create stays absent).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DirectionFileError, readVectorFile } from '../../src/engine/directions/index';
import { unpickle, MAX_PICKLE_OPS } from '../../src/engine/directions/formats/pickle';

const PY = '/usr/bin/python3';
const hasPython = existsSync(PY);

/** Writes pickles whose unpickling runs `touch MARKER`: raw (protocol 2 and 4) and inside a torch-style zip. */
function makeEvil(dir: string, marker: string) {
  execFileSync(PY, ['-c', `
import os, pickle, sys, zipfile
class Evil:
    def __reduce__(self):
        return (os.system, ('touch ' + sys.argv[2],))
d = sys.argv[1]
for proto in (2, 4):
    with open(os.path.join(d, f'evil{proto}.pt'), 'wb') as f:
        pickle.dump(Evil(), f, protocol=proto)
# the payload inside a dict beside a harmless value, zipped the way torch.save lays out files
with zipfile.ZipFile(os.path.join(d, 'evil_zip.pt'), 'w', zipfile.ZIP_STORED) as z:
    z.writestr('evil_zip/data.pkl', pickle.dumps({'layer': 1, 'x': Evil()}, protocol=2))
    z.writestr('evil_zip/version', '3\\n')
# a builtins.eval call via STACK_GLOBAL
with open(os.path.join(d, 'eval.pt'), 'wb') as f:
    pickle.dump(type('E', (), {'__reduce__': lambda self: (eval, ("__import__('os').system('touch " + sys.argv[2] + "')",))})(), f, protocol=4)
`, dir, marker]);
}

test('malicious pickles (os.system, eval) are refused by name and never run', { skip: !hasPython && 'needs /usr/bin/python3' }, async () => {
  const tmp = await mkdtemp(path.join(tmpdir(), 'rl-evil-'));
  try {
    const marker = path.join(tmp, 'PWNED');
    makeEvil(tmp, marker);
    // The fixture is real: Python's own pickle.load runs it (on a copy aimed at another marker).
    const proof = path.join(tmp, 'proof');
    execFileSync(PY, ['-c', `import pickle,sys; pickle.loads(open(sys.argv[1],'rb').read().replace(sys.argv[2].encode(), sys.argv[3].encode()))`, path.join(tmp, 'evil2.pt'), marker, proof.padEnd(marker.length, 'x')]);
    assert.ok(existsSync(proof.padEnd(marker.length, 'x')), 'python itself runs the payload');
    for (const [f, what] of [['evil2.pt', 'posix.system'], ['evil4.pt', 'posix.system'], ['evil_zip.pt', 'posix.system'], ['eval.pt', 'builtins.eval']] as const) {
      await assert.rejects(readVectorFile(path.join(tmp, f), { nLayers: 6, dModel: 128 }), (e: Error) => {
        assert.ok(e instanceof DirectionFileError);
        assert.match(e.message, new RegExp(`${f.replace('.', '\\.')}: .*the pickle asks for ${what.replace('.', '\\.')} \\(byte \\d+\\).*refused and nothing in it is run`));
        return true;
      });
    }
    assert.equal(existsSync(marker), false, 'the payload never ran');
    // and the bytes were read, not skipped: the payload is there
    assert.ok((await readFile(path.join(tmp, 'evil2.pt'))).includes(Buffer.from('system')));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('the unpickler refuses object-building opcodes and bounds its work', () => {
  const err = (bytes: number[]) => {
    try {
      unpickle(Uint8Array.from(bytes), 'x.pt', 'data.pkl');
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  };
  // INST 'os\nsystem\n'
  assert.match(err([0x80, 2, 0x28, 0x69, ...Buffer.from('os\nsystem\n'), 0x2e]), /asks for an object to be constructed \(opcode 0x69\)/);
  // NEWOBJ on an allowed class is still refused
  assert.match(err([0x80, 2, 0x63, ...Buffer.from('collections\nOrderedDict\n'), 0x29, 0x81, 0x2e]), /opcode 0x81/);
  // REDUCE of an allowed storage type (not a function we call) is refused
  assert.match(err([0x80, 2, 0x63, ...Buffer.from('torch\nFloatStorage\n'), 0x29, 0x52, 0x2e]), /asks for a call to torch\.FloatStorage/);
  // BUILD with state (would set attributes)
  assert.match(err([0x80, 2, 0x7d, 0x7d, 0x4b, 1, 0x4b, 1, 0x73, 0x62, 0x2e]), /asks for object state to be set \(BUILD\)/);
  assert.match(err([0x80, 2, 0x58, 0xff, 0xff, 0xff, 0x7f]), /truncated pickle/);
  // an endless loop of DUP/POP stops at the opcode bound
  const loop = new Uint8Array(MAX_PICKLE_OPS * 2 + 4);
  loop.set([0x80, 2, 0x4e]);
  for (let i = 3; i < loop.length - 1; i += 2) loop.set([0x32, 0x30], i);
  assert.match(err([...loop]), /more than 1000000 opcodes/);
});
