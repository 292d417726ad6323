// Cheap text checks for broken output that is not a loop: word salad stitched from fragments,
// glued words, non-words, mixed scripts. Each finding is a "defect" with its place and a short
// description, so a degenerate label can say exactly what it saw. Tuned on the hand-labelled set
// in test/fixtures/labels/ (see its README for the labelling guide and the measured agreement).

export interface TextCheckOptions {
  /**
   * Whether a word (letters only, as written) is a word of the model's language: the engine
   * passes a check against the model's own vocabulary (LensModel.isWord). Absent: no non-word check.
   */
  isWord?: (word: string) => boolean;
  /** Defects closer than this many characters count once (one broken spot; default 6). */
  mergeWithin?: number;
}

/** A defect that makes a response broken on its own (the rest need two, or one and a low likelihood). */
export const STANDALONE_DEFECT = 'starts mid-sentence';

export interface Defect {
  /** character offset in the response */
  at: number;
  what: string;
}

// A lower-case letter right before an upper-case one inside a word ("CertainlyI'm", "butYou").
const GLUED_WORDS = /\p{Ll}\p{Lu}\p{Ll}/gu;
// A sentence end glued to the next sentence ("this.I'm"); not "os.getcwd", "e.g." or a file name.
const GLUED_SENTENCE = /\p{Ll}[.!?]\p{Lu}/gu;
// ".." after a word, not an ellipsis.
const DOUBLE_STOP = /\p{Ll}\s?\.\.(?!\.)/gu;
// A sentence that starts with a lower-case word (word salad of sentence tails); not after an
// abbreviation ("e.g. this", "etc. and") or a single letter ("p. m.").
const LOWER_SENTENCE = /(?<!\b(?:e\.g|i\.e|etc|vs|cf|approx|incl|al|[A-Za-z]))[.!?]\s+(\p{Ll}[\p{L}']*)/gu;
const WORD = /\p{L}+/gu;

/** The defects of `text` (as generated, not case-folded), merged per place, in order. */
export function textDefects(text: string, opts: TextCheckOptions = {}): Defect[] {
  const hits: Defect[] = [];
  const start = /\S/u.exec(text);
  if (start && /\p{Ll}/u.test(text[start.index]!) && proseStart(text)) hits.push({ at: start.index, what: `starts mid-sentence ("${snippet(text, start.index)}")` });
  for (const m of text.matchAll(GLUED_WORDS)) hits.push({ at: m.index!, what: `glued words ("${snippet(text, m.index!)}")` });
  for (const m of text.matchAll(GLUED_SENTENCE)) hits.push({ at: m.index!, what: `glued sentences ("${snippet(text, m.index!)}")` });
  for (const m of text.matchAll(DOUBLE_STOP)) hits.push({ at: m.index!, what: `double full stop ("${snippet(text, m.index!)}")` });
  for (const m of text.matchAll(LOWER_SENTENCE)) hits.push({ at: m.index!, what: `sentence starts lower-case ("${m[1]}")` });
  if (opts.isWord) {
    for (const m of text.matchAll(WORD)) {
      if (!opts.isWord(m[0]) && !opts.isWord(m[0].toLowerCase())) hits.push({ at: m.index!, what: `non-word "${m[0]}"` });
    }
  }
  const mix = scriptMix(text);
  if (mix) hits.push(mix);
  hits.sort((a, b) => a.at - b.at);
  const within = opts.mergeWithin ?? 6;
  const merged: Defect[] = [];
  for (const h of hits) {
    const last = merged[merged.length - 1];
    if (last && h.at - last.at <= within) continue;
    merged.push(h);
  }
  return merged;
}

const SCRIPTS: [string, RegExp][] = [
  ['Latin', /\p{Script=Latin}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Han', /\p{Script=Han}/u],
  ['Hiragana/Katakana', /[\p{Script=Hiragana}\p{Script=Katakana}]/u],
  ['Hangul', /\p{Script=Hangul}/u],
  ['Arabic', /\p{Script=Arabic}/u],
  ['Hebrew', /\p{Script=Hebrew}/u],
  ['Devanagari', /\p{Script=Devanagari}/u],
  ['Thai', /\p{Script=Thai}/u],
];

/**
 * One word written in two scripts ("pаssword" with a Cyrillic а), or a second script making up
 * at least a tenth of the letters next to the first: what a steered model's byte soup looks like.
 * A response wholly in one non-Latin script is fine.
 */
function scriptMix(text: string): Defect | undefined {
  const counts = new Map<string, number>();
  for (const m of text.matchAll(WORD)) {
    const inWord = new Set<string>();
    for (const ch of m[0]) {
      const s = SCRIPTS.find(([, re]) => re.test(ch))?.[0];
      if (!s) continue;
      inWord.add(s);
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    if (inWord.size > 1) return { at: m.index!, what: `word mixes scripts ${[...inWord].join(' + ')} ("${m[0]}")` };
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const big = [...counts.entries()].filter(([, n]) => n >= 0.1 * total && n >= 2);
  if (big.length > 1) return { at: 0, what: `mixes scripts ${big.map(([s]) => s).join(' + ')}` };
  return undefined;
}

/**
 * Whether a lower-case start means a broken response: the first line reads as prose that ends a
 * sentence within 200 characters (" this. money is…", " cause harm to help…"), not code, a list
 * or a short casual answer ("ok", "sure, here is how: …", "import os", "iPhones are…").
 */
function proseStart(text: string): boolean {
  const first = text.trimStart().split('\n', 1)[0]!.slice(0, 200);
  const sentence = first.split(/[.!?](?:\s|$)/u, 1)[0]!;
  return sentence.length < first.length && !/[(){}[\]=;<>`#*_/\\|]/u.test(sentence) && !/^\p{Ll}+\p{Lu}/u.test(first);
}

function snippet(text: string, at: number): string {
  return text.slice(Math.max(0, at - 4), at + 8).replace(/\s+/gu, ' ').trim();
}
