// Checks a written tokenizer folder against the engine's tokenizer (src/engine/model/tokenizer.ts,
// the code the worker and CLI run), offline:
//   node tools/pymodels/check_tokenizer.mjs FOLDER CASES.json
// CASES.json comes from tokenizer.write_check_cases: texts with the Python ids, and a chat.
// Exit code 0 when every text encodes to the Python ids and decodes back, and the chat
// template renders the Python ChatML text. Prints one line per failure.
import fs from 'node:fs';
import path from 'node:path';
import { tsImport } from 'tsx/esm/api';

const { loadTokenizer } = await tsImport('../../src/engine/model/tokenizer.ts', import.meta.url);

const [folderArg, casesArg] = process.argv.slice(2);
if (!folderArg || !casesArg) {
  console.error('usage: node check_tokenizer.mjs TOKENIZER_FOLDER CASES.json');
  process.exit(2);
}
const cases = JSON.parse(fs.readFileSync(casesArg, 'utf8'));
const tok = await loadTokenizer(path.resolve(folderArg));

let failures = 0;
const fail = (msg) => { failures++; console.log('FAIL ' + msg); };
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

cases.texts.forEach((text, i) => {
  const ids = tok.encodeText(text);
  if (!same(ids, cases.ids[i])) fail(`encode #${i} ${JSON.stringify(text)}: js ${JSON.stringify(ids)} py ${JSON.stringify(cases.ids[i])}`);
  // token by token with specials kept: the inspector's view, which must join back to the text
  const back = ids.map((id) => tok.tokenText(id)).join('');
  if (back !== text && tok.decode(ids) !== text) fail(`decode #${i}: ${JSON.stringify(back)} != ${JSON.stringify(text)}`);
});

const rendered = tok.renderChat(cases.chat.messages);
if (rendered !== cases.chat.text) fail(`chat template: ${JSON.stringify(rendered)} != ${JSON.stringify(cases.chat.text)}`);
const chatIds = tok.encodePrompt({ kind: 'chat', messages: cases.chat.messages });
if (!same(chatIds, cases.chat.ids)) fail(`chat ids: js ${JSON.stringify(chatIds)} py ${JSON.stringify(cases.chat.ids)}`);

console.log(failures ? `${failures} failure(s)` : `ok: ${cases.texts.length} texts + chat template match`);
process.exit(failures ? 1 : 0);
