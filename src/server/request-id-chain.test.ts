// One request id follows a write from the HTTP request on a follower, through its forwarded
// proposal, to the apply on the leader: grepping the JSON logs of both nodes for the id finds
// all three lines (at debug level, which the test sets; info stays quiet on the write path).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { buildApp } from './app.ts';
import { withCluster, leaderOf } from '../../test/support/in-process-cluster.ts';
import type { LogFn } from '../cluster/cluster-node.ts';

/** A pino logger at `level` whose JSON lines are kept in `lines` (what a node writes to stdout). */
function capturedLogger(level: string): { logger: pino.Logger; log: LogFn; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter((line) => line.length > 0));
      done();
    },
  });
  const logger = pino({ level }, stream);
  return { logger, log: (lvl, message, fields) => logger[lvl](fields ?? {}, message), lines };
}

test('the request id of a write sent to a follower is in its request line, its proposal and the apply on the leader', async () => {
  const loggers = new Map(['n1', 'n2', 'n3'].map((id) => [id, capturedLogger('debug')]));
  await withCluster(async (members) => {
    const leader = leaderOf(members);
    const follower = members.find((m) => m !== leader)!;
    const { app } = buildApp({ node: follower.node, logger: loggers.get(follower.id)!.logger as unknown as FastifyBaseLogger });
    try {
      const requestId = 'chain-test-7f3a';
      const response = await app.inject({ method: 'POST', url: '/update', headers: { 'content-type': 'application/sparql-update', 'x-request-id': requestId }, payload: 'INSERT DATA { <urn:a> <urn:b> <urn:c> }' });
      assert.equal(response.statusCode, 204);
      assert.equal(response.headers['x-request-id'], requestId);
      const grep = (id: string) => loggers.get(id)!.lines.filter((line) => line.includes(requestId)).map((line) => JSON.parse(line) as { msg: string; reqId: string; leader?: unknown });
      const onFollower = grep(follower.id);
      const onLeader = grep(leader.id);
      assert.ok(onFollower.some((l) => l.msg === 'incoming request' && l.reqId === requestId), 'the HTTP request line');
      assert.ok(onFollower.some((l) => l.msg === 'write forwarded to the leader' && l.reqId === requestId && l.leader === leader.id), 'the forwarded proposal');
      assert.ok(onLeader.some((l) => l.msg === 'write applied' && l.reqId === requestId && l.leader === true), `the apply on the leader; leader lines: ${JSON.stringify(onLeader)}`);
    } finally {
      await app.close();
    }
  }, (id) => ({ log: loggers.get(id)!.log, debugLogs: true }));
});

test('at info level the write path logs nothing per write', async () => {
  const loggers = new Map(['n1', 'n2', 'n3'].map((id) => [id, capturedLogger('info')]));
  await withCluster(async (members) => {
    const leader = leaderOf(members);
    const before = loggers.get(leader.id)!.lines.length;
    for (let i = 0; i < 3; i++) await leader.node.write({ kind: 'update', text: `INSERT DATA { <urn:s> <urn:p> ${i} }` }, { timeoutMs: 5000, httpRequestId: `quiet-${i}` });
    assert.deepEqual(loggers.get(leader.id)!.lines.slice(before).filter((line) => line.includes('quiet-')), []);
  }, (id) => ({ log: loggers.get(id)!.log, debugLogs: false }));
});
