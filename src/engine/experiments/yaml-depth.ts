// YAML's composer (parseDocument) and toJS recurse per level of nesting, so a deeply nested
// condition file would end in "Maximum call stack size exceeded". The concrete syntax tree
// from yaml's Parser is built without recursion; this walks it with a loop and reports where
// the nesting first passes the limit (MAX_NESTING, the same as for JSON inputs).
import { Parser, type CST } from 'yaml';
import { MAX_NESTING } from '../../protocol/nesting';

/** Offset of the first collection nested deeper than `max` (block or flow), or undefined. */
export function yamlTooDeepAt(text: string, max = MAX_NESTING): number | undefined {
  const stack: [CST.Token, number][] = [];
  for (const token of new Parser().parse(text)) stack.push([token, 0]);
  while (stack.length) {
    const [t, d] = stack.pop()!;
    switch (t.type) {
      case 'document':
        if (t.value) stack.push([t.value, d]);
        break;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection': {
        if (d + 1 > max) return t.offset;
        for (const item of t.items as { key?: CST.Token | null; value?: CST.Token }[]) {
          if (item.key) stack.push([item.key, d + 1]);
          if (item.value) stack.push([item.value, d + 1]);
        }
        break;
      }
      default:
        break; // scalars, comments, directives: no nesting
    }
  }
  return undefined;
}

