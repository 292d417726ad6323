// The cap's one wording (capText) as the CLI, receipts and the webview describe it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeIntervention as cliText } from '../../src/cli/interventions';
import { describeIntervention as receiptText } from '../../src/engine/experiments/receipt-render';
import { interventionText } from '../../webview/format';
import { interventionAxes, type Intervention } from '../../src/protocol/types';

test('caps are described with their bounds everywhere, and their axis is the one they read', () => {
  const above: Intervention = { kind: 'cap', axis: 'persona', hi: 0, layers: [4, 5] };
  const both: Intervention = { kind: 'cap', axis: 'persona', lo: -2, hi: 1.5, layers: [3], positions: 'generated', sourceLayer: 2 };
  const below: Intervention = { kind: 'cap', axis: 'refusal', lo: -1, layers: [1] };
  assert.equal(cliText(above), 'cap persona ≤ 0 @ L4-5');
  assert.equal(cliText(both), 'cap persona to [-2, 1.5] @ L3 from L2 (generated)');
  assert.equal(cliText(below), 'cap refusal ≥ -1 @ L1');
  assert.match(receiptText(above), /^cap persona ≤ 0 @ L4/);
  assert.match(interventionText(both), /^cap persona to \[-2, 1\.5\] @ L3 \(generated\)$/);
  assert.deepEqual(interventionAxes(below), ['refusal']);
});
