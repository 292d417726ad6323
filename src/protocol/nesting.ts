// How deep input may nest. Parsers and walkers that recurse (jsonc-parser's parseTree and
// getNodeValue, yaml's composer and toJS, our schema check, JSON.stringify when a value is
// echoed, logged or sent over IPC) die with "Maximum call stack size exceeded" somewhere
// between ~1,000 and ~10,000 levels, depending on the stack left. So every input is measured
// first, by the loops below (no recursion), against one stated limit. Real prompt files,
// condition files, dataset rows and messages nest under 10 levels. No runtime deps.

/** The deepest nesting of arrays/objects accepted in any input (files and worker messages). */
export const MAX_NESTING = 64;

export function tooDeepMessage(max = MAX_NESTING): string {
  return `nested more than ${max} levels deep (the limit for arrays and objects in one input)`;
}

/**
 * Where JSON or JSONC text first opens its `max + 1`th level of `[`/`{` (a UTF-16 offset), or
 * undefined when it stays within `max`. Strings and comments are skipped; syntax is not checked
 * (the parser does that afterwards).
 */
export function jsonTooDeepAt(text: string, max = MAX_NESTING): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      for (i++; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 0x5c /* \ */) i++;
        else if (c === 0x22 || c === 0x0a) break; // an unterminated string ends at the line for the parser too
      }
    } else if (ch === 0x2f /* / */ && text.charCodeAt(i + 1) === 0x2f) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
    } else if (ch === 0x2f && text.charCodeAt(i + 1) === 0x2a /* * */) {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else if (ch === 0x5b /* [ */ || ch === 0x7b /* { */) {
      if (++depth > max) return i;
    } else if (ch === 0x5d /* ] */ || ch === 0x7d /* } */) {
      if (depth > 0) depth--;
    }
  }
  return undefined;
}

/** True when a parsed value (objects and arrays) nests deeper than `max`; a loop, no recursion. */
export function valueTooDeep(value: unknown, max = MAX_NESTING): boolean {
  if (value === null || typeof value !== 'object') return false;
  const stack: [object, number][] = [[value, 1]];
  const seen = new Set<object>();
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (d > max) return true;
    if (seen.has(v)) continue; // a shared or cyclic reference is measured once
    seen.add(v);
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, d + 1]);
    }
  }
  return false;
}

/** 1-based line and column (UTF-16 units) of `offset` in `text`, to say where an input is too deep. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}
