// The benchmarks' HTTP client against node:http servers: lengths, chunking, keep-alive, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { HttpClient } from './http-client.ts';

async function withServer(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void, body: (origin: string) => Promise<void>): Promise<void> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await body(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

test('posts a body and reads fixed-length, chunked and empty answers over one kept-alive connection', async () => {
  const sockets = new Set<unknown>();
  await withServer(
    (req, res, body) => {
      sockets.add(req.socket);
      assert.equal(req.headers['content-type'], 'text/plain');
      if (req.url === '/echo') res.writeHead(200, { 'content-length': Buffer.byteLength(body) }).end(body);
      else if (req.url === '/chunked') {
        res.writeHead(201, { 'transfer-encoding': 'chunked' });
        res.write('é'.repeat(3));
        res.write('');
        setTimeout(() => res.end(`-${body}`), 5);
      } else res.writeHead(204).end();
    },
    async (origin) => {
      const client = new HttpClient(1);
      try {
        assert.deepEqual(await client.post(origin, '/echo', 'text/plain', 'ça va ✓'), { status: 200, body: 'ça va ✓' });
        assert.deepEqual(await client.post(origin, '/chunked', 'text/plain', 'x'), { status: 201, body: 'ééé-x' });
        assert.deepEqual(await client.post(origin, '/empty', 'text/plain', ''), { status: 204, body: '' });
        assert.deepEqual(await client.post(origin, '/echo', 'text/plain', 'again'), { status: 200, body: 'again' });
      } finally {
        client.close();
      }
    },
  );
  assert.equal(sockets.size, 1);
});

test('requests beyond the connection limit wait their turn; each gets its own answer', async () => {
  await withServer(
    (_req, res, body) => setTimeout(() => res.writeHead(200, { 'content-length': Buffer.byteLength(body) }).end(body), 2),
    async (origin) => {
      const client = new HttpClient(2);
      try {
        const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => client.post(origin, '/', 'text/plain', `n${i}`)));
        assert.deepEqual(answers.map((a) => a.body), Array.from({ length: 20 }, (_, i) => `n${i}`));
      } finally {
        client.close();
      }
    },
  );
});

test('a server that closes the connection: the answer still arrives, and the next request opens a new one', async () => {
  await withServer(
    (_req, res) => res.writeHead(200, { 'content-length': 2, connection: 'close' }).end('ok'),
    async (origin) => {
      const client = new HttpClient(1);
      try {
        for (let i = 0; i < 3; i++) assert.deepEqual(await client.post(origin, '/', 'text/plain', ''), { status: 200, body: 'ok' });
      } finally {
        client.close();
      }
    },
  );
});

test('errors carry a code: a refused connection, a hung-up socket, a timeout', async () => {
  const client = new HttpClient(1);
  try {
    let refusedOrigin = '';
    await withServer(() => undefined, async (origin) => {
      refusedOrigin = origin;
    });
    await assert.rejects(client.post(refusedOrigin, '/', 'text/plain', ''), { code: 'ECONNREFUSED' });
    await withServer(
      (req) => req.socket.destroy(),
      async (origin) => {
        await assert.rejects(client.post(origin, '/', 'text/plain', ''), { code: 'ECONNRESET' });
      },
    );
    await withServer(
      () => undefined,
      async (origin) => {
        await assert.rejects(client.post(origin, '/', 'text/plain', '', 50), { code: 'TIMEOUT' });
      },
    );
  } finally {
    client.close();
  }
});
