// @vitest-environment node
import { connect, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer } from '../../src/server/index.js';
import { batch, cleanup, lines, NOW, post, serve, tempDir } from './harness.js';

afterEach(cleanup);

describe('startServer', () => {
  it('listens on a free port on the loopback host when asked for port 0', async () => {
    const server = await serve();
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('finishes queued writes before close resolves, then refuses connections', async () => {
    const server = await serve();
    const body = { batchId: 'b1', logs: [{ level: 'info' as const, message: 'm' }], traces: [], metrics: [] };
    const writing = server.store.append(body, NOW);
    await server.close();
    expect(await lines(server.dataDir, 'logs')).toHaveLength(1);
    await writing;
    await server.close(); // a second close is harmless
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });

  it('close() resolves within seconds while a request in flight never finishes', async () => {
    const server = await serve();
    // A stalled upload: headers and half a body, then nothing (held open until the test ends).
    const socket = connect(server.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      'POST /ingest HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"batchId":',
    );
    socket.on('error', () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await server.close();
    const ms = Date.now() - started;
    socket.destroy();
    // Without a bound, close() waits for the request timeout (30 s) or for the client.
    expect(ms).toBeLessThan(5_000);
  }, 40_000);

  it('rejects when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      await expect(startServer({ port, dataDir: await tempDir() })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });

  it('creates the data dir on the first write', async () => {
    const server = await serve({ dataDir: `${await tempDir()}/nested/telemetry` });
    expect((await post(server.url, batch('b1'))).status).toBe(200);
    expect(await lines(server.dataDir, 'metrics')).toHaveLength(1);
  });
});
