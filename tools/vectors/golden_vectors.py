"""Writes the fixture model's golden axis A (test/fixtures/models/llama-gqa/golden.json) in each
source tool's own file layout and layer convention, for test/integration/vectors-golden.test.ts:
a vector imported from each must steer the model exactly as the PyTorch golden does.

  persona.pt          persona_vectors: [n_layers + 1, d_model], row k = hidden_states[k]
                      (row 0 = embeddings: filled with 1e3 so a wrong mapping shows)
  rd/direction.pt     refusal_direction: A[1] with direction_metadata.json {"layer": 2}: the
                      input of block 2 = the output of block 1
  layers.pt           a dict {1: A[1], 2: A[2]} (keys read like GGUF direction.k)
  cv.gguf             llama.cpp / repeng control vector, written here from the GGUF spec:
                      direction.1 = A[1], direction.2 = A[2]
  np/vector.yaml      Neuronpedia: hook_resid_pre at layer_num 2 (= output of block 1), A[1]
  np_post/vector.yaml Neuronpedia: hook_resid_post at layer_num 1 (= output of block 1), A[1]
  plain.npy           numpy [n_layers, d_model] = A

Run: /usr/bin/python3 tools/vectors/golden_vectors.py GOLDEN_JSON OUT_DIR
"""
import json
import os
import struct
import sys
from collections import OrderedDict

import numpy as np
import torch


def gguf(path, layers):
    def s(x):
        b = x.encode()
        return struct.pack('<Q', len(b)) + b
    kv = [('general.architecture', 8, s('controlvector')), ('controlvector.model_hint', 8, s('llama')),
          ('controlvector.layer_count', 4, struct.pack('<I', len(layers)))]
    head = b'GGUF' + struct.pack('<IQQ', 3, len(layers), len(kv))
    for k, t, v in kv:
        head += s(k) + struct.pack('<I', t) + v
    off = 0
    for n, v in layers:
        head += s(f'direction.{n}') + struct.pack('<I', 1) + struct.pack('<Q', v.size) + struct.pack('<I', 0) + struct.pack('<Q', off)
        off += (v.size * 4 + 31) // 32 * 32
    head += b'\0' * ((32 - len(head) % 32) % 32)
    data = b''
    for _, v in layers:
        b = v.astype('<f4').tobytes()
        data += b + b'\0' * ((32 - len(b) % 32) % 32)
    open(path, 'wb').write(head + data)


def safetensors(path, name, v):
    b = v.astype('<f4').tobytes()
    h = json.dumps({name: {'dtype': 'F32', 'shape': list(v.shape), 'data_offsets': [0, len(b)]}}).encode()
    open(path, 'wb').write(struct.pack('<Q', len(h)) + h + b)


def main(golden, out):
    g = json.load(open(golden))
    A = np.array(g['axes']['A'], dtype=np.float32)
    n, d = A.shape
    os.makedirs(out, exist_ok=True)
    torch.save(torch.from_numpy(np.concatenate([np.full((1, d), 1e3, np.float32), A])), os.path.join(out, 'persona.pt'))
    os.makedirs(os.path.join(out, 'rd'), exist_ok=True)
    torch.save(torch.from_numpy(A[1].copy()), os.path.join(out, 'rd', 'direction.pt'))
    json.dump({'pos': -1, 'layer': 2}, open(os.path.join(out, 'rd', 'direction_metadata.json'), 'w'))
    torch.save(OrderedDict([(1, torch.from_numpy(A[1].copy())), (2, torch.from_numpy(A[2].copy()))]), os.path.join(out, 'layers.pt'))
    gguf(os.path.join(out, 'cv.gguf'), [(1, A[1]), (2, A[2])])
    for sub, layer, hook in (('np', 2, 'hook_resid_pre'), ('np_post', 1, 'hook_resid_post')):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
        safetensors(os.path.join(out, sub, 'vector.safetensors'), 'vector', A[1])
        open(os.path.join(out, sub, 'vector.yaml'), 'w').write(f'label: X\nlayer_num: {layer}\nhook_type: {hook}\nnormalize: false\n')
    np.save(os.path.join(out, 'plain.npy'), A)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
