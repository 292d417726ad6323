// A small, strict argument parser: every option is declared, so a typo is an error with the
// option's name instead of a silently ignored flag.

export type OptionKind = 'string' | 'number' | 'boolean' | 'list';

export interface OptionSpec {
  name: string; // long name without dashes, e.g. "max-new-tokens"
  kind: OptionKind;
  short?: string;
  description: string;
  default?: string | number | boolean;
}

export interface ParsedArgs {
  positionals: string[];
  options: Record<string, string | number | boolean | string[] | undefined>;
}

export class UsageError extends Error {}

export function parseArgs(argv: string[], specs: OptionSpec[]): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const options: ParsedArgs['options'] = {};
  const positionals: string[] = [];
  for (const s of specs) if (s.default !== undefined) options[s.name] = s.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let spec: OptionSpec | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
      spec = byName.get(name);
      if (!spec && name.startsWith('no-') && byName.get(name.slice(3))?.kind === 'boolean') {
        options[name.slice(3)] = false;
        continue;
      }
      if (!spec) throw new UsageError(`unknown option --${name}${suggest(name, [...byName.keys()])}`);
    } else if (arg.startsWith('-') && arg.length === 2 && arg !== '-') {
      spec = byShort.get(arg.slice(1));
      if (!spec) throw new UsageError(`unknown option ${arg}`);
    } else {
      positionals.push(arg);
      continue;
    }
    if (spec.kind === 'boolean') {
      options[spec.name] = inline === undefined ? true : !['false', '0', 'no'].includes(inline);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`option --${spec.name} needs a value`);
    if (spec.kind === 'number') {
      // Number('') is 0: an empty value must not quietly become zero.
      if (value.trim() === '') throw new UsageError(`option --${spec.name} needs a number, got an empty value`);
      const n = Number(value);
      if (!Number.isFinite(n)) throw new UsageError(`option --${spec.name}: '${value}' is not a number`);
      options[spec.name] = n;
    } else if (spec.kind === 'list') {
      const prev = options[spec.name];
      options[spec.name] = [...(Array.isArray(prev) ? prev : []), value];
    } else {
      options[spec.name] = value;
    }
  }
  return { positionals, options };
}

function suggest(name: string, names: string[]): string {
  const close = names.filter((n) => n.startsWith(name.slice(0, 3)));
  return close.length ? ` (did you mean ${close.map((n) => '--' + n).join(', ')}?)` : '';
}

export function str(a: ParsedArgs, name: string): string | undefined {
  const v = a.options[name];
  return typeof v === 'string' ? v : undefined;
}
export function num(a: ParsedArgs, name: string): number | undefined {
  const v = a.options[name];
  return typeof v === 'number' ? v : undefined;
}
export function bool(a: ParsedArgs, name: string): boolean {
  return a.options[name] === true;
}
export function list(a: ParsedArgs, name: string): string[] {
  const v = a.options[name];
  return Array.isArray(v) ? v : [];
}

export function formatOptions(specs: OptionSpec[]): string {
  return specs
    .map((s) => {
      const flag = `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.kind === 'boolean' ? '' : ` <${s.kind === 'list' ? 'value…' : s.kind}>`}`;
      const def = s.default !== undefined ? ` (default ${s.default})` : '';
      return `  ${flag.padEnd(34)} ${s.description}${def}`;
    })
    .join('\n');
}
