// The host's one mapping from an error to what the user sees (src/protocol/errors.ts): no
// JSON-RPC wording, the actions of the code, and a table that covers every code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResponseError } from 'vscode-jsonrpc';
import { ACTIONS_BY_CODE, ERROR_ACTION_LABELS, ERROR_ACTIONS, ErrorCodes, describeError, errorCodeName, plainMessage } from '../../src/protocol/errors';
import { toResponseError } from '../../src/worker/errors';

test('vscode-jsonrpc wording is stripped, whatever the method', () => {
  assert.equal(plainMessage('Request refusalLens/trace failed with message: no model loaded: send loadModel first'), 'no model loaded: send loadModel first');
  assert.equal(plainMessage('Request refusalLens/loadModel failed with message: Request x/y failed with message: deep'), 'deep');
  assert.equal(plainMessage('a message that merely mentions a Request'), 'a message that merely mentions a Request');
});

test('each code names its actions; an unknown error offers the log; a death offers a restart', () => {
  for (const name of Object.keys(ErrorCodes)) assert.ok(name in ACTIONS_BY_CODE, `${name} has no actions entry`);
  for (const a of ERROR_ACTIONS) assert.ok(ERROR_ACTION_LABELS[a].length > 3);
  assert.equal(errorCodeName(-32603), undefined);
  const noModel = describeError(new ResponseError(ErrorCodes.NoModel, 'no model loaded'), 'running x');
  assert.equal(noModel.message, 'running x failed: no model loaded');
  assert.deepEqual(noModel.actions, ['selectModel', 'useBuiltinModel', 'showLog']);
  const plain = describeError(new ResponseError(-32603, 'Request refusalLens/trace failed with message: boom'));
  assert.equal(plain.code, undefined);
  assert.equal(plain.message, 'boom');
  assert.deepEqual(plain.actions, ['showLog']);
  const died = Object.assign(new Error('The Refusal Lens engine stopped: it was killed'), { name: 'WorkerDiedError' });
  assert.deepEqual(describeError(died).actions, ['restartEngine', 'showLog']);
});

test('the worker classifies escaped errors: file errors, axis files, cancellation, the fallback', () => {
  const enoent = Object.assign(new Error("ENOENT: no such file or directory, open '/x/data.jsonl'"), { code: 'ENOENT', path: '/x/data.jsonl' });
  const f = toResponseError(enoent);
  assert.equal(f.code, ErrorCodes.FileError);
  assert.deepEqual(f.data, { file: '/x/data.jsonl' });
  class DirectionFileError extends Error {}
  assert.equal(toResponseError(new DirectionFileError('bad header')).code, ErrorCodes.AxisFile);
  class AbortError extends Error {}
  assert.equal(toResponseError(new AbortError('generation cancelled')).code, ErrorCodes.Cancelled);
  assert.equal(toResponseError(new Error('something else')).code, ErrorCodes.EngineFailed);
  assert.equal(toResponseError(new Error('something else'), 'ModelFolder').code, ErrorCodes.ModelFolder);
  const kept = new ResponseError(ErrorCodes.ResultsMismatch, 'other settings');
  assert.equal(toResponseError(kept), kept);
});
