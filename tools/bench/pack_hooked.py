"""Developer probe helper (bench/probe-packed.mjs): a copy of a hooked graph whose per-layer
rl.add.l / rl.proj.l / rl.projT.l / rl.axesT.l inputs come from 4 packed inputs through one Split
each, and whose rl.read.l outputs are concatenated into one `rl.read` output. Needs python onnx."""
import onnx, sys
from onnx import helper, TensorProto
src, dst = sys.argv[1], sys.argv[2]
m = onnx.load(src, load_external_data=False)
g = m.graph
L = sum(1 for i in g.input if i.name.startswith('rl.add.'))
names = {'add': 'rl.add', 'proj': 'rl.proj', 'projT': 'rl.projT', 'axesT': 'rl.axesT'}
keep = [i for i in g.input if not any(i.name.startswith(p + '.') for p in names.values())]
shapes = {'add': ['L', 'd'], 'proj': ['L', 'k', 'd'], 'projT': ['L', 'd', 'k'], 'axesT': ['L', 'd', 'n']}
new_in = [helper.make_tensor_value_info(p, TensorProto.FLOAT, shapes[k]) for k, p in names.items()]
del g.input[:]
g.input.extend(keep + new_in)
splits = [helper.make_node('Split', [p], [f'{p}.{l}' for l in range(L)], name=f'split_{p}', axis=0) for p in names.values()]
reads = [o for o in g.output if o.name.startswith('rl.read.')]
outs = [o for o in g.output if not o.name.startswith('rl.read.')]
concat = helper.make_node('Concat', [f'rl.read.{l}' for l in range(L)], ['rl.read'], name='concat_read', axis=-1)
nodes = splits + list(g.node) + [concat]
del g.node[:]
g.node.extend(nodes)
del g.output[:]
g.output.extend(outs + [helper.make_tensor_value_info('rl.read', TensorProto.FLOAT, None)])
onnx.save(m, dst)
print('layers', L)
