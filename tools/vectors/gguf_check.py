"""An independent GGUF reader written from the GGUF specification (ggml docs/gguf.md), used by the
tests to check the control vectors `refusal-lens vectors export --to gguf` writes. Prints JSON:
{"version", "kv": {key: value}, "tensors": {name: {"type", "dims", "values"}}}.
Run: /usr/bin/python3 tools/vectors/gguf_check.py FILE.gguf
"""
import json
import struct
import sys

SCALARS = {0: '<B', 1: '<b', 2: '<H', 3: '<h', 4: '<I', 5: '<i', 6: '<f', 7: '<?', 10: '<Q', 11: '<q', 12: '<d'}


def main(path):
    data = open(path, 'rb').read()
    pos = 0

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from(fmt, data, pos)[0]
        pos += struct.calcsize(fmt)
        return v

    def string():
        nonlocal pos
        n = take('<Q')
        s = data[pos:pos + n].decode('utf-8')
        pos += n
        return s

    def value(t):
        if t == 8:
            return string()
        if t == 9:
            it = take('<I')
            return [value(it) for _ in range(take('<Q'))]
        return take(SCALARS[t])

    assert data[:4] == b'GGUF', 'bad magic'
    pos = 4
    version = take('<I')
    n_tensors = take('<Q')
    n_kv = take('<Q')
    kv = {}
    for _ in range(n_kv):
        k = string()
        kv[k] = value(take('<I'))
    infos = []
    for _ in range(n_tensors):
        name = string()
        nd = take('<I')
        dims = [take('<Q') for _ in range(nd)]
        infos.append((name, dims, take('<I'), take('<Q')))
    align = kv.get('general.alignment', 32)
    start = (pos + align - 1) // align * align
    tensors = {}
    for name, dims, t, off in infos:
        assert t == 0, f'{name}: type {t} is not F32'
        assert off % align == 0, f'{name}: offset {off} not aligned'
        n = 1
        for d in dims:
            n *= d
        vals = struct.unpack_from(f'<{n}f', data, start + off)
        tensors[name] = {'type': 'F32', 'dims': dims, 'values': [struct.pack('<f', v).hex() for v in vals]}
    print(json.dumps({'version': version, 'kv': kv, 'tensors': tensors}))


if __name__ == '__main__':
    main(sys.argv[1])
