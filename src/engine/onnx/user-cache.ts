// Where hooked graphs go when the model folder is read-only and the caller named no cache
// folder (a read-only install of the CLI, a model in a system folder): the user's cache
// directory, by each platform's convention.
import * as os from 'node:os';
import * as path from 'node:path';

/** `<user cache>/refusal-lens`: XDG_CACHE_HOME or ~/.cache; ~/Library/Caches on macOS; %LOCALAPPDATA% on Windows. */
export function userCacheRoot(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = os.homedir()): string {
  let base: string;
  if (platform === 'win32') base = env.LOCALAPPDATA && path.win32.isAbsolute(env.LOCALAPPDATA) ? env.LOCALAPPDATA : path.win32.join(home, 'AppData', 'Local');
  else if (platform === 'darwin') base = path.posix.join(home, 'Library', 'Caches');
  // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
  else base = env.XDG_CACHE_HOME && path.posix.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.posix.join(home, '.cache');
  const join = platform === 'win32' ? path.win32.join : path.posix.join;
  return join(base, 'refusal-lens');
}

/** `<user cache>/refusal-lens/hooked-graphs`, where hooked graphs of read-only model folders go. */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = os.homedir()): string {
  return (platform === 'win32' ? path.win32.join : path.posix.join)(userCacheRoot(env, platform, home), 'hooked-graphs');
}
