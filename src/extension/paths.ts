// Is a path inside a folder? The one answer the workspace-trust check uses for every file a
// workspace names (model folders, direction files, condition files' axes and prompt sets,
// results files). No `vscode` import, so tests run it against real symlinks.
//
// Why not a string prefix: `<ws>/..models/x` is inside `<ws>` although it starts with `..`;
// `<ws>2/x` starts with `<ws>` but is outside. Why real paths too: a link inside the workspace
// can point anywhere, and a link outside can point into it; both count as inside, because in
// either case the workspace chose (or holds) what gets loaded.
import { realpathSync } from 'node:fs';
import * as path from 'node:path';

/** Win32 and macOS file systems ignore case by default: `C:\WS\x` is inside `c:\ws`. */
export const CASE_INSENSITIVE = process.platform === 'win32' || process.platform === 'darwin';

/**
 * `child` equals `root` or lies below it, comparing resolved paths (no file system access).
 * `api` is node:path by default; tests pass path.win32 to check drive letters and `\\`.
 */
export function isWithin(root: string, child: string, caseInsensitive = CASE_INSENSITIVE, api: path.PlatformPath = path): boolean {
  let r = api.resolve(root);
  let c = api.resolve(child);
  if (caseInsensitive) {
    r = r.toLowerCase();
    c = c.toLowerCase();
  }
  const rel = api.relative(r, c);
  if (rel === '') return true;
  if (api.isAbsolute(rel)) return false; // another drive on win32
  return rel !== '..' && !rel.startsWith(`..${api.sep}`);
}

/**
 * The real path of `p` with every symlink resolved; for a path that does not exist (yet), the
 * real path of its deepest existing ancestor joined with the rest.
 */
export function realPath(p: string): string {
  const abs = path.resolve(p);
  const rest: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      return path.join(realpathSync.native(cur), ...rest.reverse());
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return abs;
      rest.push(path.basename(cur));
      cur = parent;
    }
  }
}

/**
 * True when `p` is inside one of `roots`: as written or with symlinks resolved, on either
 * side. Conservative on purpose: the answer decides whether the user is asked first.
 */
export function isInsideAny(roots: readonly string[], p: string, caseInsensitive = CASE_INSENSITIVE): boolean {
  const mine = unique([path.resolve(p), realPath(p)]);
  const folders = unique(roots.flatMap((r) => [path.resolve(r), realPath(r)]));
  return folders.some((r) => mine.some((m) => isWithin(r, m, caseInsensitive)));
}

/** One key per file however it is spelt (links, `..`, case where the file system ignores it). */
export function pathKey(p: string, caseInsensitive = CASE_INSENSITIVE): string {
  const r = realPath(p);
  return caseInsensitive ? r.toLowerCase() : r;
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** A prompt file's `axes` as files: one home, the engine's run target (src/engine/run-target.ts). */
export { promptAxisFiles } from '../engine/run-target';
