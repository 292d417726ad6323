// RFC 4180 CSV: quoted fields may hold commas, doubled quotes and newlines; CRLF or LF line ends;
// a leading BOM is dropped; the first record is the header (required). Every record knows the
// 1-based line it starts on, so messages point at the line a user sees in an editor.

export interface CsvRecord {
  /** 1-based line of the record's first character. */
  line: number;
  cells: string[];
}

export class CsvError extends Error {
  constructor(readonly line: number, readonly column: number, message: string) {
    super(message);
  }
}

/**
 * All records, header included. Throws CsvError for an unclosed quote (naming the line it
 * opened on) or a quote inside an unquoted field or after a closing quote.
 */
export function parseCsv(text: string): CsvRecord[] {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let col = 1;
  const records: CsvRecord[] = [];
  const n = text.length;
  while (i < n) {
    const start = line;
    const cells: string[] = [];
    // One record: fields until an unquoted line end or the end of the text.
    for (;;) {
      let cell = '';
      if (text[i] === '"') {
        const openLine = line;
        const openCol = col;
        i++;
        col++;
        let closed = false;
        while (i < n) {
          const ch = text[i];
          if (ch === '"') {
            if (text[i + 1] === '"') {
              cell += '"';
              i += 2;
              col += 2;
              continue;
            }
            i++;
            col++;
            closed = true;
            break;
          }
          if (ch === '\n') {
            line++;
            col = 1;
          } else col++;
          cell += ch;
          i++;
        }
        if (!closed) throw new CsvError(openLine, openCol, `unclosed quote: the field opened at line ${openLine}, column ${openCol} never ends`);
        if (i < n && text[i] !== ',' && text[i] !== '\n' && !(text[i] === '\r' && text[i + 1] === '\n')) {
          throw new CsvError(line, col, `unexpected '${text[i]}' after a closing quote (a quote inside a quoted field is written "")`);
        }
      } else {
        const from = i;
        while (i < n && text[i] !== ',' && text[i] !== '\n' && !(text[i] === '\r' && text[i + 1] === '\n')) {
          if (text[i] === '"') throw new CsvError(line, col + (i - from), 'a quote inside an unquoted field (quote the whole field and double the quote: "a ""b"" c")');
          i++;
        }
        cell = text.slice(from, i);
        col += i - from;
      }
      cells.push(cell);
      if (i < n && text[i] === ',') {
        i++;
        col++;
        continue;
      }
      break;
    }
    if (text[i] === '\r') i++;
    if (text[i] === '\n') {
      i++;
      line++;
      col = 1;
    }
    // A blank line (one empty cell) is no record; a trailing newline leaves none either.
    if (cells.length === 1 && cells[0] === '') continue;
    records.push({ line: start, cells });
  }
  return records;
}
