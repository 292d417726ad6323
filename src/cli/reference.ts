// --reference FILE|SET: the prompt set that norm coefficients (--steer persona:0.3n:2-4),
// percentile cap bounds (--cap persona::p75:2-4) and the norm warning measure against.
import { existsSync } from 'node:fs';
import type { OptionSpec } from './args';
import { str, UsageError, type ParsedArgs } from './args';
import { referenceSpec } from '../engine/directions/reference';
import { builtinSetNames } from '../engine/experiments/dataset';
import { DEFAULT_REFERENCE_SET } from '../protocol/reference';

export const REFERENCE_OPTION: OptionSpec = {
  name: 'reference',
  kind: 'string',
  description: `prompt set for norm coefficients (0.3n), percentile cap bounds (p75) and the norm warning: a file or a built-in set name (default ${DEFAULT_REFERENCE_SET.slice(8)})`,
};

/** The --reference option (else `fromFile`, a prompt or condition file's own, resolved against `fileDir`), or undefined for the default. */
export function referenceFromArgs(args: ParsedArgs, fromFile?: { name: string; dir: string }): string | undefined {
  const given = str(args, 'reference');
  const [name, dir, what] = given !== undefined ? [given, process.cwd(), '--reference'] : fromFile ? [fromFile.name, fromFile.dir, 'reference'] : [undefined, '', ''];
  if (name === undefined) return undefined;
  try {
    return referenceSpec(name, dir, builtinSetNames(), existsSync);
  } catch (e) {
    throw new UsageError(`${what}: ${(e as Error).message}`);
  }
}
