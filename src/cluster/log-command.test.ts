// The log entry encoding stays version 1: entries written before the optional request id and
// trace context existed decode as before, and new ones decode with them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pack } from 'msgpackr';
import { decodeLogCommand, encodeLogCommand } from './log-command.ts';

test('an entry of an older node (no request id, no trace) decodes; new fields round-trip', () => {
  const old = pack({ v: 1, requestId: 'n1.abc.1', timeMs: 5, command: { kind: 'deleteGraph', graph: null } });
  const decoded = decodeLogCommand(old);
  assert.equal(decoded.requestId, 'n1.abc.1');
  assert.equal(decoded.httpRequestId, undefined);
  assert.equal(decoded.traceParent, undefined);
  const traceParent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const round = decodeLogCommand(encodeLogCommand({ requestId: 'r', timeMs: 1, command: { kind: 'deleteGraph', graph: null }, httpRequestId: 'req-9', traceParent }));
  assert.equal(round.httpRequestId, 'req-9');
  assert.equal(round.traceParent, traceParent);
  assert.throws(() => decodeLogCommand(pack({ v: 2, requestId: 'r', timeMs: 1, command: { kind: 'deleteGraph', graph: null } })), /version 2/);
});
