// What a run uses (model folder, dtype, axis files), from the places a user can say it, in one
// order for the CLI and the editor, so a prompt file means the same thing in both:
//   1. an explicit choice: `--model` / `--dtype` / `--axis` on the CLI, Select Model… / Select
//      Axes… in the editor;
//   2. the prompt file's `model` and `axes` (relative to the file; an axis may be a shipped name);
//   3. the settings (editor only: refusalLens.model.folder, .model.dtype, .axes.files);
//   4. the built-in model, and the axes the chosen model folder ships (`<folder>/axes/`).
// A more specific choice replaces a less specific one; they are never merged. Pure: it reads the
// model folder's listing, nothing else. Paths in 1 and 3 come resolved by the caller (each medium
// has its own syntax: the shell's working directory, `${workspaceFolder}` and `~` in settings).
import * as os from 'node:os';
import * as path from 'node:path';
import { builtinModelFolder, shippedAxisFiles } from './builtin.js';
import { isVectorPath } from './directions/formats/index.js';

export interface RunSources {
  /** 1: the user's explicit choice (resolved paths; 'builtin' allowed for the model). */
  explicit?: { model?: string; dtype?: string; axes?: readonly string[] };
  /** 2: the prompt file's fields as written, and its folder. */
  prompt?: { model?: string; axes?: readonly string[]; dir: string };
  /** 3: settings (resolved paths; 'builtin' allowed for the model; 'auto' dtype means none). */
  settings?: { model?: string; dtype?: string; axes?: readonly string[] };
  /** 4: the built-in model's folder (default: the package's). */
  builtinFolder?: string;
}

export type RunSourceName = 'explicit' | 'prompt' | 'settings' | 'default';

export interface RunTarget {
  folder: string;
  dtype?: string;
  axisFiles: string[];
  /** Where each came from, for messages and logs. */
  from: { model: RunSourceName; axes: RunSourceName };
}

/** Resolves model folder, dtype and axis files by the order above; throws naming a prompt axis it cannot find. */
export function resolveRunTarget(s: RunSources): RunTarget {
  const builtin = s.builtinFolder ?? builtinModelFolder();
  const asFolder = (spec: string) => (spec === 'builtin' ? builtin : spec);
  let folder: string;
  let modelFrom: RunSourceName;
  if (s.explicit?.model) [folder, modelFrom] = [asFolder(s.explicit.model), 'explicit'];
  else if (s.prompt?.model) [folder, modelFrom] = [s.prompt.model === 'builtin' ? builtin : resolveAgainst(s.prompt.model, s.prompt.dir), 'prompt'];
  else if (s.settings?.model) [folder, modelFrom] = [asFolder(s.settings.model), 'settings'];
  else [folder, modelFrom] = [builtin, 'default'];

  const dtype = s.explicit?.dtype ?? (s.settings?.dtype && s.settings.dtype !== 'auto' ? s.settings.dtype : undefined);

  const shipped = shippedAxisFiles(folder);
  const settingsAxes = [...(s.settings?.axes ?? [])];
  let axisFiles: string[];
  let axesFrom: RunSourceName;
  if (s.explicit?.axes?.length) [axisFiles, axesFrom] = [[...s.explicit.axes], 'explicit'];
  // A prompt's axis name may be one the model ships or one the settings load.
  else if (s.prompt?.axes?.length) [axisFiles, axesFrom] = [promptAxisFiles(s.prompt.axes, s.prompt.dir, [...shipped, ...settingsAxes]), 'prompt'];
  else if (settingsAxes.length) [axisFiles, axesFrom] = [settingsAxes, 'settings'];
  else [axisFiles, axesFrom] = [shipped, 'default'];
  return { folder, ...(dtype ? { dtype } : {}), axisFiles, from: { model: modelFrom, axes: axesFrom } };
}

/**
 * A prompt file's `axes`: vector file paths (relative to the file's folder) or names of known axis
 * files (`persona` for `…/axes/persona.safetensors`).
 */
export function promptAxisFiles(axes: readonly string[], promptDir: string | undefined, known: readonly string[]): string[] {
  return axes.map((a) => {
    if (isVectorPath(a)) return resolveAgainst(a, promptDir ?? '.');
    const hit = known.find((f) => path.basename(f).replace(/\.safetensors$/i, '') === a);
    if (hit) return hit;
    const names = [...new Set(known.map((f) => path.basename(f).replace(/\.safetensors$/i, '')))];
    throw new Error(`the prompt file's axis '${a}' is neither a vector file path (.safetensors, .pt, .npy, .gguf, vector.yaml) nor an axis the model ships or the settings load (${names.join(', ') || 'none'})`);
  });
}

function resolveAgainst(p: string, dir: string): string {
  const home = p.replace(/^~(?=$|[\\/])/, os.homedir());
  return path.resolve(dir, home);
}
