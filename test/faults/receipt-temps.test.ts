// A SIGKILL while the receipt's files are written (io/atomic.ts writeFilesAtomic) leaves hidden
// `.receipt.json.<pid>.<hex>.tmp` files in the output folder, and nothing removed them. A run
// preparing the folder now removes temps of our pattern whose writer is dead; a live writer's
// temps, and files that only look alike, stay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { prepareReceiptFolder } from '../../src/engine/experiments/receipt-files';
import { tempDir } from './annotate-helpers';

test('prepareReceiptFolder removes receipt temps of dead writers and keeps the rest', () => {
  const dir = path.join(tempDir('receipttemps'), 'out');
  mkdirSync(dir);
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // exited: its pid is dead
  const stale = [`.receipt.json.${dead}.0a1b2c3d.tmp`, `.responses.jsonl.${dead}.deadbeef.tmp`, `.sweep-1-win.svg.${dead}.00000000.tmp`];
  const kept = [
    `.receipt.md.${process.pid}.12345678.tmp`, // a live writer's
    `.notes.txt.${dead}.0a1b2c3d.tmp`, // not a receipt file's name
    `.receipt.csv.${dead}.xyz.tmp`, // not our pattern
    'receipt.json.tmp',
  ];
  for (const f of [...stale, ...kept]) writeFileSync(path.join(dir, f), 'x');
  prepareReceiptFolder(dir, { sweeps: [{ name: 'win' }] as never });
  for (const f of stale) assert.ok(!existsSync(path.join(dir, f)), `${f} left behind`);
  assert.deepEqual(readdirSync(dir).sort(), [...kept].sort());
});
