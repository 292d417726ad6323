// Issue 10, defect 9: user-supplied strings (titles, names, system prompts, paths) must not pass
// raw HTML into receipt.md, start headings or split table rows; receipt.tex must not run LaTeX
// commands; receipt.csv must not hold formulas (OWASP) and must quote per RFC 4180.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { csvCell, csvRow, latexEscape, markdownCode, markdownText } from '../../src/engine/report/escape';
import { receiptHash, summarise, type Receipt } from '../../src/engine/experiments/receipt';
import { receiptCsv, receiptLatex, receiptMarkdown } from '../../src/engine/experiments/receipt-render';
import { geometryCsv, geometryMarkdown, type GeometryResult } from '../../src/engine/experiments/geometry';

// markdown-it (a dev dependency of the packager) as the campaign used it: html allowed.
const MarkdownIt = createRequire(__filename)('markdown-it') as new (o: object) => { render(s: string): string };
const mdHtml = (s: string) => new MarkdownIt({ html: true }).render(s);

const HOSTILE = [
  '<img src=x onerror=alert(1)>',
  '\n# heading',
  'a\r|b',
  '=HYPERLINK("http://evil","x")',
  '\\input{/etc/passwd}',
  '+1',
  '-2+3',
  '@SUM(A1)',
  '\tTAB',
  '\rCR',
  '`code` ``x``',
  '</td><script>alert(1)</script>',
  'x\u2028# y',
  '[click](javascript:alert(1))',
  '&lt;b&gt;',
  '1. item',
  '    indented code',
  '> quote',
  '---',
];

/** RFC 4180 parser (quoted fields, doubled quotes, CR/LF inside quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') q = false;
      else cell += c;
    } else if (c === '"' && cell === '') q = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\n') row.push(cell), rows.push(row), (row = []), (cell = '');
    else cell += c;
  }
  if (cell !== '' || row.length) row.push(cell), rows.push(row);
  return rows;
}

function hostileReceipt(name: string): Receipt {
  const c = (n: string) => ({
    name: n, set: name, systemPrompts: ['', name],
    interventions: [{ kind: 'steer' as const, axis: name, coefficient: -4, layers: [1, 2] }],
    ...summarise(['refusal', 'bypass'], [-0.5, -1.5]),
  });
  const content = {
    schema: 'refusal-lens.receipt/1' as const, title: name, description: name, toolVersion: '0', conditionFile: { file: name, sha256: 'a'.repeat(64) },
    model: { name, modelType: 'llama', layers: 4, dModel: 8, dtype: 'fp32', graphHash: 'g', tokenizerHash: 't' },
    sets: [{ name, source: name, sha256: 'b'.repeat(64), count: 2, skipped: [name], system: name }],
    axes: [{ name, kind: 'file' as const, file: name, sha256: 'c'.repeat(64), method: 'diff_of_means', positions: 'last_prompt' }],
    decoding: { maxNewTokens: 8 }, batchSize: 2, conditions: [c(name), c('plain')],
    sweeps: [{ name, set: name, moving: { kind: 'project_out', axes: [name] }, size: 1, stride: 1, points: [{ ...c(name), window: [1] }] }],
  };
  return { ...content, hash: receiptHash(content), created: '2026-01-01T00:00:00Z' };
}

test('markdownText: no raw HTML, no line breaks, table pipes and Markdown punctuation escaped', () => {
  assert.equal(markdownText('<img src=x onerror=alert(1)>'), '&lt;img src=x onerror=alert(1)&gt;');
  assert.equal(markdownText('a\r|b'), 'a \\|b');
  assert.equal(markdownText('\n# heading'), '&#32;\\# heading');
  assert.equal(markdownText('- item'), '\\- item');
  assert.equal(markdownText('1. item'), '1\\. item');
  assert.equal(markdownText('a & b'), 'a &amp; b');
  assert.equal(markdownText('x`y`'), 'x\\`y\\`');
  for (const s of HOSTILE) {
    const t = markdownText(s);
    assert.ok(!/[\r\n\u2028]/.test(t), JSON.stringify(t));
    assert.ok(!/[<>]/.test(t), JSON.stringify(t));
    assert.ok(!/(^|[^\\])\|/.test(t), `unescaped pipe in ${JSON.stringify(t)}`);
    // Rendered alone, it is one paragraph whose text is exactly the input (line breaks as spaces).
    const html = mdHtml(t);
    assert.match(html, /^<p>[\s\S]*<\/p>\n$/, html);
    assert.doesNotMatch(html, /<(img|script|h\d|a |code|td)/, html);
  }
});

test('markdownCode: literal code spans whatever backticks or pipes they hold', () => {
  assert.equal(markdownCode('a`b'), '``a`b``');
  assert.equal(markdownCode('`x`'), '`` `x` ``');
  assert.equal(markdownCode('a|b', true), '`a\\|b`');
  for (const s of HOSTILE) {
    const html = mdHtml(markdownCode(s));
    assert.match(html, /^<p><code>[^]*<\/code><\/p>\n$/, html);
    assert.doesNotMatch(html, /<(img|script|h\d)/, html);
  }
});

test('latexEscape: specials, brackets and line breaks cannot run a command or end a cell', () => {
  assert.equal(latexEscape('\\input{/etc/passwd}'), '\\textbackslash{}input\\{/etc/passwd\\}');
  assert.equal(latexEscape('a\n\nb'), 'a  b');
  assert.equal(latexEscape('[2pt] *'), '{[}2pt{]} {*}');
  assert.equal(latexEscape('<a|b>'), '\\textless{}a\\textbar{}b\\textgreater{}');
  for (const s of HOSTILE) {
    const t = latexEscape(s);
    assert.ok(!/[\r\n]/.test(t));
    // every backslash starts one of our own text commands or escapes a special character
    assert.ok(!/\\(?!textbackslash\{\}|textasciitilde\{\}|textasciicircum\{\}|textless\{\}|textgreater\{\}|textbar\{\}|[{}$&#_%])/.test(t), t);
  }
});

test('csvCell: OWASP prefix for strings that start like a formula; numbers stay numbers; RFC 4180 quoting', () => {
  assert.equal(csvCell('=HYPERLINK("http://evil","x")'), `"'=HYPERLINK(""http://evil"",""x"")"`);
  assert.equal(csvCell('+1'), "'+1");
  assert.equal(csvCell('-2+3'), "'-2+3");
  assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvCell('\tTAB'), "'\tTAB");
  assert.equal(csvCell('\rCR'), `"'\rCR"`);
  assert.equal(csvCell('a\r|b'), '"a\r|b"');
  assert.equal(csvCell(-0.5), '-0.5');
  assert.equal(csvCell('-0.5'), "'-0.5");
  assert.equal(csvCell(NaN), '');
  assert.equal(csvCell(-Infinity), '');
  assert.equal(csvRow(['a,b', 'say "hi"', 3]), '"a,b","say ""hi""",3');
});

test('receipt.md with hostile names: no HTML, no extra headings, table rows intact', () => {
  for (const s of HOSTILE) {
    const md = receiptMarkdown(hostileReceipt(s));
    const html = mdHtml(md);
    assert.doesNotMatch(html, /<img|<script|onerror=alert\(1\)>|<\/td><script/, `${JSON.stringify(s)}:\n${html}`);
    assert.doesNotMatch(html, /href="javascript:/);
    assert.equal((html.match(/<h1>/g) ?? []).length, 1, JSON.stringify(s));
    // the description (a paragraph of its own) cannot become a list, quote, rule or code block
    assert.deepEqual([(html.match(/<ul>/g) ?? []).length, (html.match(/<ol|<blockquote|<hr|<pre/g) ?? []).length], [2, 0], `${JSON.stringify(s)}:\n${html}`);
    const h2 = (html.match(/<h2>/g) ?? []).length;
    assert.equal(h2, 5, `${JSON.stringify(s)}: ${h2} h2 headings`); // sets, axes, conditions, one sweep, system prompts
    // Each table keeps its rows: conditions table = 2 rows, sweep table = 1, sets and axes 1 each.
    const bodies = [...html.matchAll(/<tbody>([\s\S]*?)<\/tbody>/g)].map((m) => (m[1].match(/<tr>/g) ?? []).length);
    assert.deepEqual(bodies, [1, 1, 2, 1], JSON.stringify(s));
    for (const row of html.match(/<tr>[\s\S]*?<\/tr>/g) ?? []) {
      const cells = (row.match(/<t[dh]/g) ?? []).length;
      assert.ok([3, 5, 8, 9].includes(cells), `${JSON.stringify(s)}: a row with ${cells} cells: ${row}`);
    }
    assert.ok(!md.includes('\r'), 'no carriage return in receipt.md');
  }
});

test('receipt.csv with hostile names: every cell parses back, no formula cell, negative numbers stay numbers', () => {
  for (const s of HOSTILE) {
    const rows = parseCsv(receiptCsv(hostileReceipt(s)));
    const head = rows[0];
    assert.equal(rows.length, 1 + 3);
    for (const r of rows) assert.equal(r.length, head.length, `${JSON.stringify(s)}: row ${JSON.stringify(r)}`);
    for (const r of rows.slice(1)) {
      for (const cell of r) {
        if (/^[=+\-@\t\r]/.test(cell)) assert.ok(/^-\d+(\.\d+)?(e-?\d+)?$/.test(cell), `${JSON.stringify(s)}: formula-like cell ${JSON.stringify(cell)}`);
      }
      assert.equal(r[head.indexOf('mean_refusal_score')], '-1');
    }
    const named = rows.slice(1).find((r) => r[1] !== 'plain')!;
    assert.equal(named[1].replace(/^'(?=[=+\-@\t\r])/, ''), s, 'the name comes back as written, less the prefix');
  }
});

test('receipt.tex with hostile names: no command of the input survives, braces balance', () => {
  for (const s of HOSTILE) {
    const tex = receiptLatex(hostileReceipt(s));
    assert.doesNotMatch(tex, /\\input\{/, JSON.stringify(s));
    let depth = 0;
    for (let i = 0; i < tex.length; i++) {
      if (tex[i] === '\\') i++;
      else if (tex[i] === '{') depth++;
      else if (tex[i] === '}') assert.ok(--depth >= 0, `unbalanced } in ${JSON.stringify(s)}`);
    }
    assert.equal(depth, 0, JSON.stringify(s));
    // a table row is one line: the hostile name cannot add lines
    assert.equal(tex.split('\n').length, receiptLatex(hostileReceipt('plain')).split('\n').length, JSON.stringify(s));
  }
});

test('geometry Markdown and CSV escape axis names', () => {
  const g: GeometryResult = {
    schema: 'refusal-lens.geometry/1', axes: [{ name: '=cmd,x' }, { name: '<img src=x onerror=alert(1)>' }], layers: [0],
    pairs: [{ a: '=cmd,x', b: '<img src=x onerror=alert(1)>', cos: [-0.25] }],
    random: { samples: 10, dModel: 8, seed: 0, p05: -0.3, p95: 0.3, maxAbs: 0.4, sdTheory: 0.35 },
  } as unknown as GeometryResult;
  const md = geometryMarkdown(g);
  assert.doesNotMatch(mdHtml(md), /<img/);
  assert.equal((mdHtml(md).match(/<th[ >]/g) ?? []).length, 5);
  const rows = parseCsv(geometryCsv(g));
  assert.equal(rows[0].length, 5);
  assert.equal(rows[1][1], '-0.25');
  assert.ok(rows[0][1].startsWith('cos_'));
});
