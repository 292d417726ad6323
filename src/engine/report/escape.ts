// Escaping for the text formats the tool writes (issue 10, defect 9): Markdown, LaTeX and CSV.
// Every user-supplied string (titles, condition/set/axis/model names, system prompts, responses)
// goes through these before it lands in a .md, .tex or .csv file; HTML and SVG use escapeXml.

/** Line breaks of every kind: a raw one in Markdown could start a heading or end a table row. */
const LINE_BREAKS = /\r\n|[\r\n\v\f\u0085\u2028\u2029]/g;
/** Other C0 control characters (and DEL) show as nothing useful in any of these formats. */
const CONTROL = /[\u0000-\u0008\u000e-\u001f\u007f]/g;

function oneLine(s: string): string {
  return String(s).replace(LINE_BREAKS, ' ').replace(CONTROL, '');
}

/**
 * Inline Markdown text (a paragraph, list item or table cell): renders as exactly the
 * characters given. Line breaks become spaces; `<`, `>`, `&` become entities (so no raw HTML,
 * even under `html: true`); Markdown punctuation is backslash-escaped, `|` included, so the
 * text cannot split a table row, open a code span, link, emphasis, or start a heading or list
 * when it begins a line. `lineStart = false` (text placed after other text on its line, e.g. a
 * table cell or after a label) skips the escapes that only matter at the start of a line.
 */
export function markdownText(s: string, lineStart = true): string {
  const t = oneLine(s)
    .replace(/[\\`*_[\]|~#]/g, (c) => `\\${c}`)
    .replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
  if (!lineStart) return t;
  return t
    // Block markers that only matter at the start of a line: "- x", "+ x", "= x", "1. x".
    .replace(/^(\s*)([-+=])/, '$1\\$2')
    .replace(/^(\s*\d+)([.)])/, '$1\\$2')
    // Leading blanks would make an indented code block: as references they are plain text.
    .replace(/^[ \t]+/, (ws) => ws.replace(/[ \t]/g, (c) => `&#${c.charCodeAt(0)};`));
}

/**
 * An inline code span holding `s` literally: a backtick fence longer than any run of backticks
 * inside, padded when needed. In a GFM table cell (`inTable`) `|` must still be written `\|`.
 */
export function markdownCode(s: string, inTable = false): string {
  let t = oneLine(s);
  if (inTable) t = t.replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(t.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = t === '' || t.startsWith('`') || t.endsWith('`') || (t.startsWith(' ') && t.endsWith(' ') && t.trim() !== '') ? ' ' : '';
  return `${fence}${pad}${t}${pad}${fence}`;
}

const LATEX: Record<string, string> = {
  '\\': '\\textbackslash{}',
  '~': '\\textasciitilde{}',
  '^': '\\textasciicircum{}',
  '<': '\\textless{}',
  '>': '\\textgreater{}',
  '|': '\\textbar{}',
  // After a row's `\\`, a cell starting with [ or * would be read as its optional argument.
  '[': '{[}',
  ']': '{]}',
  '*': '{*}',
};

/** LaTeX text: the ten specials, plus <, >, |, [, ], * and line breaks (a blank line ends a cell's paragraph). */
export function latexEscape(s: string): string {
  return oneLine(s).replace(/[\\{}$&#_%~^<>|[\]*]/g, (ch) => LATEX[ch] ?? `\\${ch}`);
}

/** The first characters OWASP lists as starting a spreadsheet formula. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell. Numbers (the tool's own counts, rates, scores) are written as numbers, so a
 * genuine negative number stays a number; a non-finite number is an empty cell. Strings (names,
 * prompts, descriptions) that start like a formula (=, +, -, @, tab, CR) get a leading `'`
 * (OWASP's rule), and then RFC 4180 quoting: a cell holding `"`, `,`, CR or LF is quoted, with
 * `"` doubled. A string that looks like "-3" is a string and is prefixed: only numbers typed as
 * numbers stay numbers.
 */
export function csvCell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  let t = String(v);
  if (FORMULA_START.test(t)) t = `'${t}`;
  return /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

/** A CSV line from cells. */
export function csvRow(cells: readonly (string | number | null | undefined)[]): string {
  return cells.map(csvCell).join(',');
}
