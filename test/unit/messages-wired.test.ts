// Every message the protocols declare is sent by one side and handled by the other (issue 12
// item 5d: `Progress` was declared and handled but never sent, `SelectToken` validated then
// dropped). Read from the sources: each constant's JSDoc names its direction, and the sender and
// the handler are found by how each side's code uses the constant.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(__dirname, '..', '..');

function sources(dir: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = path.join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.ts')) out.push(readFileSync(p, 'utf8'));
    }
  };
  walk(path.join(ROOT, dir));
  return out.join('\n');
}

interface Declared {
  name: string;
  direction: string;
}

/** `/** dir: … *\/ export const Name = …` entries, direction = the JSDoc's first words up to ':'. */
function declared(file: string, valuePattern: string): Declared[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const re = new RegExp(String.raw`/\*\*([\s\S]*?)\*/\s*export const (\w+) = ${valuePattern}`, 'g');
  const out: Declared[] = [];
  for (const m of text.matchAll(re)) {
    const doc = m[1]!.replace(/^\s*\*\s?/gm, ' ');
    const dir = /(host|webview|worker)\s*→\s*(host|webview|worker)/.exec(doc);
    assert.ok(dir, `${file}: ${m[2]}'s JSDoc names no direction (host → worker, worker → host, host → webview, webview → host)`);
    out.push({ name: m[2]!, direction: `${dir[1]}→${dir[2]}` });
  }
  return out;
}

const has = (text: string, re: string) => new RegExp(re).test(text);

const extension = sources('src/extension');
const worker = sources('src/worker');
const webview = sources('webview');
const inspector = readFileSync(path.join(ROOT, 'src/extension/inspectorPanel.ts'), 'utf8');

test('webview messages: each host → webview one is posted by the host and reduced by the page; each webview → host one is posted by the page and handled by the panel', () => {
  const list = declared('src/protocol/webview.ts', String.raw`'\w+' as const`);
  assert.ok(list.length >= 10, `found ${list.length} messages`);
  const missing: string[] = [];
  for (const { name, direction } of list) {
    if (direction === 'host→webview') {
      if (!has(extension, String.raw`type: ${name}\b`)) missing.push(`${name}: the host never posts it`);
      if (!has(webview, String.raw`case ${name}:`)) missing.push(`${name}: the page has no case for it`);
      if (!has(webview, String.raw`HOST_TYPES[^\n]*\b${name}\b`)) missing.push(`${name}: the page drops it (not in HOST_TYPES)`);
    } else if (direction === 'webview→host') {
      if (!has(webview, String.raw`type: ${name}\b`)) missing.push(`${name}: the page never posts it`);
      if (!has(inspector, String.raw`case ${name}:`)) missing.push(`${name}: the panel has no case for it`);
    } else missing.push(`${name}: direction ${direction} in the webview protocol`);
  }
  assert.deepEqual(missing, []);
});

/** Requests no extension code sends: the tokenizer probe, sent by tests and tools only. Checked to stay unsent. */
const HOST_UNSENT_REQUESTS = new Set(['Encode']);

test('worker messages: each request is sent by the host and handled by the worker (with an error code); each notification is sent by the worker and heard by the host', () => {
  const list = declared('src/protocol/rpc.ts', String.raw`(?:request|notification)<`);
  assert.ok(list.length >= 14, `found ${list.length} messages`);
  const missing: string[] = [];
  for (const { name, direction } of list) {
    if (direction === 'host→worker') {
      // handle() (src/worker/errors.ts) gives every failure a code of src/protocol/errors.ts.
      if (!has(worker, String.raw`handle\([^,]+,\s*${name}\b`)) missing.push(`${name}: the worker has no handle() for it`);
      const sent = has(extension, String.raw`(?:request|sendRequest)\(\s*(?:[^,()]+,\s*)?${name}\b`);
      if (HOST_UNSENT_REQUESTS.has(name)) {
        if (sent) missing.push(`${name}: the host sends it now; take it off HOST_UNSENT_REQUESTS`);
      } else if (!sent) missing.push(`${name}: the host never sends it`);
    } else if (direction === 'worker→host') {
      if (!has(worker, String.raw`sendNotification\([^,]+,\s*${name}\b`)) missing.push(`${name}: the worker never sends it`);
      if (!has(extension, String.raw`onNotification\((?:[^,()]+,\s*)?${name}\b`)) missing.push(`${name}: the host never listens for it`);
    } else missing.push(`${name}: direction ${direction} in the worker protocol`);
  }
  assert.deepEqual(missing, []);
});
