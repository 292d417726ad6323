// Splices the CLI-measured tables (tools/organism/card/out/) into the built-in model's card,
// between the markers below; everything outside the markers is left as written.
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('../../..', import.meta.url).pathname;
const OUT = join(ROOT, 'tools/organism/card/out');
const CARD = join(ROOT, 'media/models/organism/MODEL_CARD.md');
const BEGIN = '<!-- refusal-lens:cli-measured:begin (tools/organism/card/run.sh writes this part) -->';
const END = '<!-- refusal-lens:cli-measured:end -->';

/** The part of a receipt.md from `## heading` to the next `## `. */
function section(md, heading) {
  const start = md.indexOf(`## ${heading}`);
  if (start < 0) throw new Error(`no '## ${heading}' in a receipt`);
  const next = md.indexOf('\n## ', start + 3);
  return md.slice(start, next < 0 ? undefined : next).trim();
}
const demote = (s) => s.replace(/^## /gm, '##### ');
// Paths as the repository names them, not as this machine does.
const read = (p) => readFileSync(join(OUT, p), 'utf8').split(ROOT).join('');

const receipt = (name) => read(`${name}/receipt.md`);
const behaviour = receipt('behaviour');
const paper = receipt('paper');
const sweeps = paper.split('\n## ').filter((s) => s.startsWith('Sweep: ')).map((s) => '##### ' + s.trim());
const hash = (md) => /receipt hash: `([0-9a-f]+)`/.exec(md)?.[1] ?? '?';
const conditions = (name, title) => {
  const md = receipt(name);
  return `#### ${title} (receipt \`${hash(md).slice(0, 12)}…\`, \`tools/organism/card/out/${name}/\`)\n\n${demote(section(md, 'Conditions'))}`;
};
// The selection's summary lines (the candidate table is in the report files).
const summary = (f) => read(f).split('\n').filter((l) => l.trim() && !l.startsWith('|')).join('\n');
const select = summary('select/log.txt');
const selectOwn = summary('select-own/log.txt');

const body = `${BEGIN}
### The tables

Everything in this section was produced by \`bash tools/organism/card/run.sh\` (the project's own
CLI on this folder's ONNX graph, greedy decoding, labels by the engine: refusal phrase, degenerate
by the text checks and the model-based likelihood check, otherwise bypass). Full receipts with
Wilson intervals, LaTeX and CSV: \`tools/organism/card/out/\`.

#### Shipped axes

\`axes/refusal.safetensors\`: difference of means of block outputs at the last prompt token,
\`sets/harmful.jsonl\` − \`sets/harmless.jsonl\` (default persona). \`axes/persona.safetensors\`:
\`sets/persona_compliant.jsonl\` − \`sets/persona_default.jsonl\` (both request kinds), same rule.

\`\`\`
${read('extract-refusal.txt').trim()}
${read('extract-persona.txt').trim()}
\`\`\`

#### Cosine of the two axes per layer

${read('geometry.md').trim()}

#### Arditi et al.'s direction selection

\`refusal-lens select builtin\` (the built-in sets \`media/sets/harmful.jsonl\` / \`harmless.jsonl\`, wording
the organism never saw):

\`\`\`
${select}
\`\`\`

With the organism's own contrastive sets (\`--harmful sets/harmful.jsonl --harmless sets/harmless.jsonl\`):

\`\`\`
${selectOwn}
\`\`\`
Full tables: \`tools/organism/card/out/select/report.md\`, \`select-own/report.md\`.

${conditions('behaviour', 'Held-out behaviour')}

${conditions('heldout', 'Fresh wording, family 1 (heldout_v2.py)')}

${conditions('heldout3', 'Fresh wording, family 2 (heldout_v3.py)')}

${conditions('heldout4', 'Fresh wording, family 3 (heldout_v4.py)')}

${conditions('heldout5', 'Fresh wording, family 4 (heldout_v5.py: what a new user types)')}

#### The paper's experiments (receipt \`${hash(paper).slice(0, 12)}…\`)

${demote(section(paper, 'Conditions'))}

${sweeps.join('\n\n')}

${conditions('caps', 'Capping the persona projection')}

Persona projections (r·v̂, the caps' unit) at the last prompt token, first 32 prompts of each set
(\`tools/organism/card/projections.ts\`):

${read('projections.md').trim()}
${END}`;

const card = readFileSync(CARD, 'utf8');
const a = card.indexOf(BEGIN.slice(0, 40));
const b = card.indexOf(END);
const next = a >= 0 && b > a ? card.slice(0, a) + body + card.slice(b + END.length) : card.trimEnd() + '\n\n' + body + '\n';
const tmp = `${CARD}.tmp-${process.pid}`;
writeFileSync(tmp, next);
renameSync(tmp, CARD);
console.log(`spliced CLI-measured tables into ${CARD}`);
