// The commands the documentation shows (fenced sh blocks of README.md, docs/**/*.md,
// examples/**/*.md, plus the Kubernetes recipe's `command:`), as the docs-commands test runs them.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface DocCommand {
  /** file:line of the block's first line */
  where: string;
  /** the command line(s) as written (comments stripped, continuations joined) */
  text: string;
  /** a whole script block (#!/bin/sh …) is run as one script */
  script: boolean;
  /** environment the block names (Slurm array index, Kubernetes completion index) */
  envRuns?: Record<string, string>[];
}

function mdFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, dir))) {
    const p = join(dir, e);
    if (statSync(join(root, p)).isDirectory()) out.push(...mdFiles(root, p));
    else if (e.endsWith('.md')) out.push(p);
  }
  return out;
}

/** Drops a trailing `# comment` that is outside quotes. */
function stripComment(line: string): string {
  let q: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) { if (c === q) q = null; continue; }
    if (c === '"' || c === "'") q = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i).trimEnd();
  }
  return line.trimEnd();
}

function slurmRuns(block: string[]): Record<string, string>[] | undefined {
  const m = block.join('\n').match(/#SBATCH --array=(\d+)-(\d+)/);
  if (!m) return undefined;
  const runs: Record<string, string>[] = [];
  for (let k = Number(m[1]); k <= Number(m[2]); k++) runs.push({ SLURM_ARRAY_TASK_ID: String(k) });
  return runs;
}

export function documentedCommands(root: string): DocCommand[] {
  const files = ['README.md', ...mdFiles(root, 'docs'), ...mdFiles(root, 'examples')];
  const out: DocCommand[] = [];
  for (const f of files) {
    const lines = readFileSync(join(root, f), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const open = lines[i]!.match(/^```(\w*)\s*$/);
      if (!open) continue;
      const lang = open[1]!;
      const start = i + 1;
      let j = start;
      while (j < lines.length && !lines[j]!.startsWith('```')) j++;
      const block = lines.slice(start, j);
      const where = `${relative(root, join(root, f))}:${start}`;
      if (['sh', 'bash', 'shell', 'console'].includes(lang)) {
        if (block[0]?.startsWith('#!')) {
          out.push({ where, text: block.map(stripComment).filter((l) => l && !l.startsWith('#')).join('\n'), script: true, envRuns: slurmRuns(block) });
        } else {
          let acc = '';
          block.forEach((raw, k) => {
            const l = stripComment(raw);
            if (!l) return;
            if (l.endsWith('\\')) { acc += l.slice(0, -1) + ' '; return; }
            out.push({ where: `${where.split(':')[0]}:${start + k + 1}`, text: (acc + l).trim(), script: false });
            acc = '';
          });
        }
      } else if (lang === 'yaml') {
        // A Kubernetes Job's container command: ["sh", "-c", "…"] with an indexed completion.
        for (const l of block) {
          const m = l.match(/command:\s*\["sh",\s*"-c",\s*"(.*)"\]\s*$/);
          if (!m) continue;
          const n = Number(block.join('\n').match(/completions:\s*(\d+)/)?.[1] ?? 1);
          out.push({ where, text: m[1]!, script: true, envRuns: Array.from({ length: n }, (_, k) => ({ JOB_COMPLETION_INDEX: String(k) })) });
        }
      }
      i = j;
    }
  }
  return out;
}
