#!/usr/bin/env python3
"""Writes the Parquet fixtures of test/fixtures/datasets/ with no third-party package.

Debian's python3 has no pyarrow and the machine is offline, so this is a small writer of the
Parquet format itself (parquet-format's thrift structures in the compact protocol, data page v1,
optional columns with RLE definition levels, PLAIN and RLE_DICTIONARY encodings, raw snappy with
literal and copy elements). It writes only what the fixtures need:

  prompts.snappy.parquet  the 12 rows of test/integration/annotate-formats.test.ts (ROWS): id,
                          prompt, system (nulls where absent), kind; SNAPPY codec; `kind` is
                          dictionary-encoded (a dictionary page + RLE_DICTIONARY data page), as
                          pyarrow writes low-cardinality strings; created_by names this script.
  prompts.plain.parquet   the same rows, UNCOMPRESSED, every column PLAIN.
  no-text.parquet         two rows with columns `question` and `score` (no prompt column).

Run: python3 tools/make_parquet_fixtures.py   (rewrites the three files; output is deterministic)
"""
import os
import struct

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'datasets')

# --- thrift compact protocol -------------------------------------------------------------------
T_TRUE, T_FALSE, T_I32, T_I64, T_BINARY, T_LIST, T_STRUCT = 1, 2, 5, 6, 8, 9, 12


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def zigzag(n):
    return (n << 1) ^ (n >> 63)


class Struct:
    """Fields as (id, type, value); value of a struct is a Struct, of a list a (elemtype, items)."""

    def __init__(self, *fields):
        self.fields = [f for f in fields if f is not None and f[2] is not None]

    def encode(self):
        out = bytearray()
        last = 0
        for fid, ftype, value in self.fields:
            wire = ftype
            if ftype == 'bool':
                wire = T_TRUE if value else T_FALSE
            delta = fid - last
            if 0 < delta <= 15:
                out.append((delta << 4) | wire)
            else:
                out.append(wire)
                out += varint(zigzag(fid))
            last = fid
            if ftype != 'bool':
                out += encode_value(ftype, value)
        out.append(0)
        return bytes(out)


def encode_value(ftype, value):
    if ftype in (T_I32, T_I64):
        return varint(zigzag(value))
    if ftype == T_BINARY:
        b = value.encode('utf-8') if isinstance(value, str) else value
        return varint(len(b)) + b
    if ftype == T_STRUCT:
        return value.encode()
    if ftype == T_LIST:
        etype, items = value
        head = bytes([(len(items) << 4) | etype]) if len(items) < 15 else bytes([0xF0 | etype]) + varint(len(items))
        return head + b''.join(encode_value(etype, x) for x in items)
    raise ValueError(ftype)


# --- encodings ---------------------------------------------------------------------------------
BYTE_ARRAY, OPTIONAL, UTF8 = 6, 1, 0
PLAIN, RLE, RLE_DICTIONARY = 0, 3, 8
UNCOMPRESSED, SNAPPY = 0, 1
DATA_PAGE, DICTIONARY_PAGE = 0, 2


def plain_strings(values):
    return b''.join(struct.pack('<I', len(v.encode('utf-8'))) + v.encode('utf-8') for v in values)


def rle_runs(values, bit_width):
    """RLE/bit-packed hybrid using RLE runs only (one per run of equal values)."""
    out = bytearray()
    nbytes = (bit_width + 7) // 8
    i = 0
    while i < len(values):
        j = i
        while j < len(values) and values[j] == values[i]:
            j += 1
        out += varint((j - i) << 1) + values[i].to_bytes(nbytes, 'little')
        i = j
    return bytes(out)


def def_levels(values):
    levels = rle_runs([0 if v is None else 1 for v in values], 1)
    return struct.pack('<I', len(levels)) + levels


def snappy(data):
    """Raw snappy (no framing): greedy 4-byte matches as 2-byte-offset copies, literals between."""
    out = bytearray(varint(len(data)))
    table = {}
    i = lit = 0

    def literal(a, b):
        while a < b:
            n = min(b - a, 60)
            out.append((n - 1) << 2)
            out.extend(data[a:a + n])
            a += n

    while i + 4 <= len(data):
        key = data[i:i + 4]
        j = table.get(key)
        table[key] = i
        if j is not None and i - j < 65536:
            n = 4
            while i + n < len(data) and data[j + n] == data[i + n] and n < 64:
                n += 1
            literal(lit, i)
            out.append(((n - 1) << 2) | 2)
            out += struct.pack('<H', i - j)
            i += n
            lit = i
        else:
            i += 1
    literal(lit, len(data))
    return bytes(out)


# --- file --------------------------------------------------------------------------------------
def page(page_type, raw, codec, num_values, encoding):
    body = snappy(raw) if codec == SNAPPY else raw
    if page_type == DATA_PAGE:
        sub = (5, T_STRUCT, Struct((1, T_I32, num_values), (2, T_I32, encoding), (3, T_I32, RLE), (4, T_I32, RLE)))
    else:
        sub = (7, T_STRUCT, Struct((1, T_I32, num_values), (2, T_I32, PLAIN)))
    header = Struct((1, T_I32, page_type), (2, T_I32, len(raw)), (3, T_I32, len(body)), sub).encode()
    return header + body, len(header) + len(raw)


def write_parquet(path, columns, codec, dictionary=(), created_by='refusal-lens tools/make_parquet_fixtures.py'):
    """columns: [(name, values with None for null)], all optional UTF-8 strings."""
    n = len(columns[0][1])
    body = bytearray(b'PAR1')
    chunks = []
    for name, values in columns:
        present = [v for v in values if v is not None]
        start = len(body)
        dict_offset = None
        if name in dictionary:
            uniq = sorted(set(present))
            bw = max(1, (len(uniq) - 1).bit_length())
            dict_offset = len(body)
            pg, unc = page(DICTIONARY_PAGE, plain_strings(uniq), codec, len(uniq), PLAIN)
            body += pg
            data_offset = len(body)
            raw = def_levels(values) + bytes([bw]) + rle_runs([uniq.index(v) for v in present], bw)
            pg2, unc2 = page(DATA_PAGE, raw, codec, n, RLE_DICTIONARY)
            body += pg2
            unc += unc2
            encodings = [PLAIN, RLE, RLE_DICTIONARY]
        else:
            data_offset = len(body)
            pg, unc = page(DATA_PAGE, def_levels(values) + plain_strings(present), codec, n, PLAIN)
            body += pg
            encodings = [PLAIN, RLE]
        size = len(body) - start
        meta = Struct(
            (1, T_I32, BYTE_ARRAY), (2, T_LIST, (T_I32, encodings)), (3, T_LIST, (T_BINARY, [name])), (4, T_I32, codec),
            (5, T_I64, n), (6, T_I64, unc), (7, T_I64, size), (9, T_I64, data_offset),
            (11, T_I64, dict_offset),
        )
        chunks.append((Struct((2, T_I64, start), (3, T_STRUCT, meta)), size))
    schema = [Struct((4, T_BINARY, 'schema'), (5, T_I32, len(columns)))] + [
        Struct((1, T_I32, BYTE_ARRAY), (3, T_I32, OPTIONAL), (4, T_BINARY, name), (6, T_I32, UTF8)) for name, _ in columns
    ]
    row_group = Struct((1, T_LIST, (T_STRUCT, [c for c, _ in chunks])), (2, T_I64, sum(s for _, s in chunks)), (3, T_I64, n))
    footer = Struct((1, T_I32, 1), (2, T_LIST, (T_STRUCT, schema)), (3, T_I64, n), (4, T_LIST, (T_STRUCT, [row_group])), (6, T_BINARY, created_by)).encode()
    body += footer + struct.pack('<I', len(footer)) + b'PAR1'
    with open(path, 'wb') as f:
        f.write(body)


def rows():
    """The ROWS of test/integration/annotate-formats.test.ts."""
    out = []
    for i in range(12):
        out.append({
            'id': None if i == 5 else f'r{i + 1}',
            'prompt': 'Say "hello",\nthen stop.' if i == 3 else f'How do I make item {i + 1}, quickly?',
            'system': 'You are terse.' if i % 4 == 1 else None,
            'kind': 'harmful' if i % 2 else 'harmless',
        })
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    rs = rows()
    cols = [(c, [r[c] for r in rs]) for c in ('id', 'prompt', 'system', 'kind')]
    write_parquet(os.path.join(OUT, 'prompts.snappy.parquet'), cols, SNAPPY, dictionary=('kind',))
    write_parquet(os.path.join(OUT, 'prompts.plain.parquet'), cols, UNCOMPRESSED)
    write_parquet(os.path.join(OUT, 'no-text.parquet'), [('question', ['How?', 'Why?']), ('score', ['1', '2'])], UNCOMPRESSED)


if __name__ == '__main__':
    main()
