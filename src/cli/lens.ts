// The logit lens on the command line: the options that ask for it, and its text view (per
// position read, one line per layer: refusal-start probability, a bar, the top tokens).
import { bool, num, str, UsageError, type OptionSpec, type ParsedArgs } from './args';
import type { LogitLensOptions, LogitLensReadout } from '../protocol/readouts';
import type { TokenInfo } from '../protocol/types';

export const LENS_OPTIONS: OptionSpec[] = [
  { name: 'logit-lens', kind: 'boolean', description: 'also read the logit lens (final norm + lm_head on each layer\'s residual): top tokens and refusal probability per layer' },
  { name: 'lens-positions', kind: 'string', description: 'prompt positions for the lens, e.g. 0,12,-1 (negative: from the end; default -1, the last prompt token); implies --logit-lens' },
  { name: 'lens-top-k', kind: 'number', description: 'top tokens per layer and position (default 5); implies --logit-lens' },
];

/** The lens asked for on the command line, over the prompt file's `logitLens`; undefined = off. */
export function lensFromArgs(args: ParsedArgs, fromFile?: LogitLensOptions): LogitLensOptions | undefined {
  const posText = str(args, 'lens-positions');
  const k = num(args, 'lens-top-k');
  const flag = args.options['logit-lens'];
  if (flag === false) return undefined; // --no-logit-lens turns off a prompt file's lens
  if (!bool(args, 'logit-lens') && posText === undefined && k === undefined && !fromFile) return undefined;
  const out: LogitLensOptions = { ...(fromFile ?? {}) };
  if (posText !== undefined) {
    const parts = posText.split(',').map((s) => s.trim());
    out.positions = parts.map((p) => {
      if (!/^-?\d+$/.test(p)) throw new UsageError(`--lens-positions: "${p}" is not an integer position (give e.g. 0,12,-1)`);
      return Number(p);
    });
  }
  if (k !== undefined) out.topK = k;
  return out;
}

const show = (s: string) => JSON.stringify(s);

/** Per position read: layer, p(refusal start), a bar, the top tokens with probabilities. */
export function renderLens(lens: LogitLensReadout, tokens: readonly TokenInfo[], layers: readonly number[]): string {
  const lines: string[] = [];
  lens.positions.forEach((pos, pi) => {
    lines.push(`logit lens at token ${pos} (${show(tokens[pos]?.text ?? '')}): p(refusal start) and top ${lens.topK} next tokens per layer`);
    lines.push(`layer  p(refusal)  ${' '.repeat(10)}  top tokens`);
    layers.forEach((layer, li) => {
      const p = lens.refusal[li]?.[pi] ?? NaN;
      const bar = '█'.repeat(Math.round(Math.min(1, Math.max(0, p)) * 10)).padEnd(10, '·');
      const top = (lens.top[li]?.[pi] ?? []).map((t) => `${show(t.text)} ${t.p.toFixed(3)}`).join('  ');
      lines.push(`${String(layer).padStart(5)}  ${p.toFixed(4).padStart(10)}  ${bar}  ${top}`);
    });
    if (pi < lens.positions.length - 1) lines.push('');
  });
  return lines.join('\n');
}
