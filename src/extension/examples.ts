// Refusal Lens: Open Examples, the part without `vscode` (unit-tested): copy the shipped
// examples (the extension's examples/ folder: prompt files, condition files) into a folder of
// the workspace so that they run there as they do in the repository. The examples name files of
// the extension by relative paths (`../../media/models/organism/axes/persona.safetensors`,
// `$schema=../../schemas/conditions.schema.json`): each such file is copied too, under the same
// path below the examples folder, and the reference rewritten to it. Files already in the
// workspace are never overwritten (the user may have edited them).
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** The workspace folder the examples are copied into. */
export const EXAMPLES_FOLDER = 'refusal-lens-examples';

/** The prompt opened first when the examples have it. */
const FIRST_PROMPT = path.join('prompts', 'harmful-default.rlprompt');
/** Files whose text may name other files of the extension. */
const TEXT_FILE = /\.(rlprompt|ya?ml|json|jsonc|md)$/i;
/** A relative path that climbs out of its folder: `../../schemas/x.json`. */
const CLIMBING_REF = /(?:\.\.\/)+[\w@.\-/]+/g;

export interface CopiedExamples {
  /** Absolute paths written now. */
  written: string[];
  /** Absolute paths left as they were (already there). */
  kept: string[];
  /** Prompt files (.rlprompt), sorted: the first is opened. */
  prompts: string[];
  /** Condition files (.yaml/.yml under conditions/). */
  conditions: string[];
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

const inside = (parent: string, p: string) => {
  const rel = path.relative(parent, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
};

/**
 * Copies `<extensionRoot>/examples` into `dest` (made if absent), with the extension files its
 * text refers to by climbing relative paths. Throws when the extension has no examples.
 */
export function copyExamples(extensionRoot: string, dest: string): CopiedExamples {
  const source = path.join(extensionRoot, 'examples');
  if (!existsSync(source)) throw new Error(`this installation has no examples (${source} is missing): reinstall the extension`);
  const res: CopiedExamples = { written: [], kept: [], prompts: [], conditions: [] };
  const done = new Set<string>();
  const put = (target: string, write: () => void) => {
    if (done.has(target)) return;
    done.add(target);
    if (existsSync(target)) return void res.kept.push(target);
    mkdirSync(path.dirname(target), { recursive: true });
    write();
    res.written.push(target);
  };
  for (const file of walk(source)) {
    const rel = path.relative(source, file);
    const target = path.join(dest, rel);
    if (!TEXT_FILE.test(file)) {
      put(target, () => copyFileSync(file, target));
    } else {
      const text = readFileSync(file, 'utf8').replace(CLIMBING_REF, (ref) => {
        const resolved = path.resolve(path.dirname(file), ref);
        // Only files of the extension outside examples/ that exist; anything else stays as written.
        if (!inside(extensionRoot, resolved) || inside(source, resolved) || !existsSync(resolved) || !statSync(resolved).isFile()) return ref;
        const mirrored = path.join(dest, path.relative(extensionRoot, resolved));
        put(mirrored, () => copyFileSync(resolved, mirrored));
        return path.relative(path.dirname(target), mirrored).split(path.sep).join('/');
      });
      put(target, () => writeFileSync(target, text));
    }
    if (file.endsWith('.rlprompt')) res.prompts.push(target);
    if (/\.ya?ml$/i.test(file) && rel.split(path.sep)[0] === 'conditions') res.conditions.push(target);
  }
  // The plain case first (a harmful request, default persona: the model refuses), then the rest.
  const first = path.join(dest, FIRST_PROMPT);
  res.prompts.sort((a, b) => Number(b === first) - Number(a === first) || a.localeCompare(b));
  res.conditions.sort();
  return res;
}
