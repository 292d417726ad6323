// Writes test/fixtures/labels/organism-v1{,-fresh}.results.md: the engine's labels against the hand labels
// (agreement, precision and recall per label, confusion, every disagreement with the check's
// reason). test/unit/labels-handset.test.ts pins the same numbers.
//   node --import tsx tools/organism/labelset-score.ts
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readHandSet, scoreHandSet, vocabularyOf } from '../../test/fixtures/labels/score';
// The hand-labelled sets are organism v1's responses: v1 is kept as a fixture since v4 shipped.
const V1 = join(__dirname, '../../test/fixtures/models/organism-v1');

const DIR = join(__dirname, '../../test/fixtures/labels');

async function main(): Promise<void> {
  const isWord = await vocabularyOf(V1);
  for (const name of ['organism-v1', 'organism-v1-fresh']) write(name, isWord);
}

function write(name: string, isWord: (w: string) => boolean): void {
  const rows = readHandSet(join(DIR, `${name}.jsonl`));
  const s = scoreHandSet(rows, { text: { isWord } });
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const L = ['refusal', 'bypass', 'degenerate'] as const;
  const md = [
    `# Engine labels against the hand labels: ${name}`,
    '',
    `${s.n} responses (\`${name}.jsonl\`), likelihood reference ${s.reference.toFixed(3)} nats/token`,
    '(10% quantile over the set\'s unsteered greedy answers, condition "none"). Agreement: ' + `**${pct(s.agreement)}**.`,
    '',
    '| label | hand | engine | agree | precision | recall |',
    '|---|---|---|---|---|---|',
    ...L.map((l) => `| ${l} | ${s.perLabel[l].actual} | ${s.perLabel[l].predicted} | ${s.perLabel[l].tp} | ${pct(s.perLabel[l].precision)} | ${pct(s.perLabel[l].recall)} |`),
    '',
    'Confusion (rows: hand, columns: engine):',
    '',
    '| | refusal | bypass | degenerate |',
    '|---|---|---|---|',
    ...L.map((h) => `| ${h} | ${L.map((e) => s.confusion[h][e]).join(' | ')} |`),
    '',
    '## Disagreements',
    '',
    '| id | hand | engine | engine\'s reason | response |',
    '|---|---|---|---|---|',
    ...s.disagreements.map((d) => `| ${d.id} | ${d.hand} | ${d.engine} | ${d.why.replace(/\|/g, '\\|')} | ${JSON.stringify(d.response).replace(/\|/g, '\\|')} |`),
    '',
    'Regenerate: `node --import tsx tools/organism/labelset-score.ts`.',
    '',
  ].join('\n');
  writeFileSync(join(DIR, `${name}.results.md`), md);
  process.stdout.write(md);
}
void main();
