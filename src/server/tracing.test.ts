// An update sent to a follower is one trace: the follower's HTTP, parse and forward spans and the
// leader's commit and apply spans, linked parent to child, as received by an OTLP/HTTP (JSON)
// receiver written here. Every node exports its own spans, as separate processes would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp } from './app.ts';
import { withCluster, leaderOf } from '../../test/support/in-process-cluster.ts';
import { startTracing, tracesUrl, type Tracing } from '../ops/tracing/otlp-tracing.ts';

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  node: string;
}

/** A minimal OTLP/HTTP receiver: POST /v1/traces with the JSON encoding. */
async function startReceiver(): Promise<{ server: Server; url: string; spans: ReceivedSpan[] }> {
  const spans: ReceivedSpan[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/traces' || !String(request.headers['content-type']).startsWith('application/json')) {
        response.writeHead(404).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: Array<Omit<ReceivedSpan, 'node'>> }> }>;
      };
      for (const resourceSpans of body.resourceSpans) {
        const node = resourceSpans.resource.attributes.find((a) => a.key === 'service.instance.id')?.value.stringValue ?? '?';
        for (const scope of resourceSpans.scopeSpans) for (const span of scope.spans) spans.push({ traceId: span.traceId, spanId: span.spanId, parentSpanId: span.parentSpanId || undefined, name: span.name, node });
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans };
}

test('the traces URL is the base URL with /v1/traces, or the URL given', () => {
  assert.equal(tracesUrl('http://collector:4318'), 'http://collector:4318/v1/traces');
  assert.equal(tracesUrl('http://collector:4318/'), 'http://collector:4318/v1/traces');
  assert.equal(tracesUrl('https://c.example/otlp/v1/traces'), 'https://c.example/otlp/v1/traces');
});

test('an update sent to a follower is one trace: forward on the follower, commit and apply on the leader', async () => {
  const receiver = await startReceiver();
  const tracings = new Map<string, Tracing>(['n1', 'n2', 'n3'].map((id) => [id, startTracing({ endpoint: receiver.url, nodeId: id, scheduledDelayMs: 50 })]));
  try {
    await withCluster(async (members) => {
      const leader = leaderOf(members);
      const follower = members.find((m) => m !== leader)!;
      const { app } = buildApp({ node: follower.node, tracer: tracings.get(follower.id)!.tracer });
      try {
        const response = await app.inject({ method: 'POST', url: '/update', headers: { 'content-type': 'application/sparql-update' }, payload: 'INSERT DATA { <urn:a> <urn:b> <urn:c> }' });
        assert.equal(response.statusCode, 204);
        await leader.node.readBarrier({ kind: 'minIndex', index: Number(response.headers['x-commit-index']) }, 5000);
      } finally {
        await app.close();
      }
      for (const tracing of tracings.values()) await tracing.shutdown();
      const http = receiver.spans.find((s) => s.name === 'POST /update');
      assert.ok(http, `no HTTP span; got ${receiver.spans.map((s) => s.name).join(', ')}`);
      const trace = receiver.spans.filter((s) => s.traceId === http.traceId);
      const one = (name: string, node: string) => {
        const found = trace.filter((s) => s.name === name && s.node === node);
        assert.equal(found.length, 1, `${name} on ${node}: ${JSON.stringify(trace)}`);
        return found[0];
      };
      assert.equal(http.node, follower.id);
      assert.equal(http.parentSpanId, undefined, 'the HTTP span is the root');
      assert.equal(one('sparql.parse', follower.id).parentSpanId, http.spanId);
      const forward = one('raft.forward', follower.id);
      assert.equal(forward.parentSpanId, http.spanId);
      const commit = one('raft.commit', leader.id);
      assert.equal(commit.parentSpanId, forward.spanId, 'the leader\'s commit joins the follower\'s trace under its forward');
      assert.equal(one('raft.apply', leader.id).parentSpanId, commit.spanId);
      // The follower applies the entry too, under its own forward span.
      assert.equal(one('raft.apply', follower.id).parentSpanId, forward.spanId);
    }, (id) => ({ tracer: tracings.get(id)!.tracer }));
  } finally {
    for (const tracing of tracings.values()) await tracing.shutdown().catch(() => undefined);
    receiver.server.close();
  }
});

test('a query on a traced node has parse, plan and evaluate spans under its HTTP span', async () => {
  const receiver = await startReceiver();
  const tracing = startTracing({ endpoint: `${receiver.url}/v1/traces`, nodeId: 'n1', scheduledDelayMs: 50 });
  try {
    await withCluster(async (members) => {
      const { app } = buildApp({ node: members[0].node, tracer: tracing.tracer });
      try {
        const response = await app.inject({ method: 'GET', url: `/sparql?query=${encodeURIComponent('SELECT * WHERE { ?s ?p ?o }')}`, headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });
        assert.equal(response.statusCode, 200);
      } finally {
        await app.close();
      }
      await tracing.shutdown();
      const http = receiver.spans.find((s) => s.name === 'GET /sparql');
      assert.ok(http);
      assert.equal(http.traceId, '0af7651916cd43dd8448eb211c80319c', 'the client\'s traceparent is the parent');
      assert.equal(http.parentSpanId, 'b7ad6b7169203331');
      for (const name of ['sparql.parse', 'sparql.plan', 'sparql.evaluate']) {
        assert.equal(receiver.spans.find((s) => s.name === name)?.parentSpanId, http.spanId, name);
      }
    }, {}, { ids: ['n1'] });
  } finally {
    await tracing.shutdown().catch(() => undefined);
    receiver.server.close();
  }
});
