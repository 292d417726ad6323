"""Writes vector files the way other tools write them, for the import tests (test/fixtures/vectors).

Run with Debian's python3-torch and numpy: /usr/bin/python3 tools/vectors/make_vectors.py OUT_DIR
Every row is distinguishable: row r holds r + 1 + i / 1000 at index i (times the tool's sign), so a
test can tell which source row landed on which of our layers. Shapes fit the built-in model
(6 layers, d_model 128).
"""
import json
import os
import sys
from collections import OrderedDict

import numpy as np
import torch

N_LAYERS, D = 6, 128


def rows(n, scale=1.0):
    r = np.arange(n, dtype=np.float64)[:, None] + 1 + np.arange(D, dtype=np.float64)[None, :] / 1000
    return (r * scale).astype(np.float32)


def main(out):
    os.makedirs(out, exist_ok=True)
    # persona_vectors: torch.save(tensor [n_layers + 1, d_model]), row r = hidden_states[r]
    torch.save(torch.from_numpy(rows(N_LAYERS + 1)), os.path.join(out, 'persona_evil_response_avg_diff.pt'))
    # refusal_direction: direction.pt [d_model] (float32 here; their pipeline keeps the model dtype)
    # and direction_metadata.json {"pos": -1, "layer": L}, L the block whose *input* it was read at
    rd = os.path.join(out, 'refusal_direction')
    os.makedirs(rd, exist_ok=True)
    torch.save(torch.from_numpy(rows(1, 3.0)[0]).to(torch.float64), os.path.join(rd, 'direction.pt'))
    with open(os.path.join(rd, 'direction_metadata.json'), 'w') as f:
        json.dump({'pos': -1, 'layer': 3}, f, indent=4)
    # a dict of layer -> tensor, keys read like GGUF direction.k (output of block k)
    layers = OrderedDict((k, torch.from_numpy(rows(N_LAYERS)[k])) for k in (2, 3, 4))
    torch.save(layers, os.path.join(out, 'layers_dict.pt'))
    torch.save({k: v for k, v in layers.items()}, os.path.join(out, 'layers_plain_dict.pt'))
    # a plain [n_layers, d_model] tensor in half precision, and one numpy array of each shape
    torch.save(torch.from_numpy(rows(N_LAYERS)).half(), os.path.join(out, 'plain_half.pt'))
    np.save(os.path.join(out, 'plain.npy'), rows(N_LAYERS))
    np.save(os.path.join(out, 'single_f64.npy'), rows(1, 2.0)[0].astype(np.float64))
    np.save(os.path.join(out, 'fortran.npy'), np.asfortranarray(rows(N_LAYERS)))


if __name__ == '__main__':
    main(sys.argv[1])
