// A small kill/resume campaign in the suite (needs `npm run build`): random SIGKILLs of the real
// CLI during annotate and ablate, each followed by a resume; the final output must equal an
// uninterrupted run's. `npm run faults` runs the same campaign with N=30 (or FAULTS_KILLS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ablateCampaign, annotateCampaign, formatCampaign } from './kill-resume';

const seed = Number(process.env.FAULTS_SEED ?? Date.now() % 100_000);

test(`annotate: 3 random SIGKILLs, each resumed, byte-identical to an uninterrupted run (seed ${seed})`, { timeout: 120_000 }, async () => {
  const workDir = mkdtempSync(path.join(tmpdir(), 'rl-kill-'));
  try {
    const r = await annotateCampaign({ kills: 3, seed, workDir });
    console.log(formatCampaign(r));
    assert.equal(r.kills, 3, 'every planned SIGKILL landed while the run was still going');
    assert.ok(r.compared >= 1);
    assert.deepEqual(r.problems, []);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
});

// ablate writes its receipt only at the end on this branch, so a rerun after a SIGKILL redoes
// everything; the campaign still checks that a kill leaves no torn receipt and that the rerun's
// receipt equals the uninterrupted one (modulo timestamps). With ablate's resume (issue 10,
// defect 5, another branch) the same campaign checks that finished generations are kept.
test(`ablate: 2 random SIGKILLs, each rerun, the same receipt as an uninterrupted run (seed ${seed})`, { timeout: 120_000 }, async () => {
  const workDir = mkdtempSync(path.join(tmpdir(), 'rl-kill-'));
  try {
    const r = await ablateCampaign({ kills: 2, seed, workDir });
    console.log(formatCampaign(r));
    assert.equal(r.kills, 2);
    assert.ok(r.compared >= 1);
    assert.deepEqual(r.problems, []);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
});
