// @vitest-environment node
// The server's token never leaves it: not in an answer (body or headers), not in what it logs,
// not in the dashboard, whatever requests carry it, right or wrong, and whatever fails.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { batch, cleanup, post, serve } from './harness.js';

afterEach(cleanup);

const TOKEN = 'T0ken-s3cret-XYZ';

describe('the token stays secret', () => {
  it('appears in no answer and no log line, in successes, refusals and failures', async () => {
    const logged: string[] = [];
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation(
        (...args: unknown[]) => void logged.push(args.map(String).join(' ')),
      );
    }
    const onError = (error: unknown): void => void logged.push(String(error), (error as Error)?.stack ?? '');
    const server = await serve({ token: TOKEN, onError });
    const good = { 'X-Telemetry-Token': TOKEN };
    // A failing write (a file where the metrics directory goes) is logged through onError.
    await writeFile(join(server.dataDir, 'metrics'), 'in the way');
    const answers: Response[] = [await post(server.url, batch('fails'), { headers: good })];
    await rm(join(server.dataDir, 'metrics'));
    answers.push(
      await post(server.url, batch('ok-1'), { headers: good }),
      await post(server.url, batch('ok-2', { token: TOKEN })),
      await post(server.url, batch('bad-1'), { headers: { 'X-Telemetry-Token': `${TOKEN}x` } }),
      // A syntax error near the token: V8's message quotes the text around it.
      await post(server.url, `{"token":"${TOKEN}","batchId":}`),
      await post(server.url, `{"token":${TOKEN}}`),
      await post(server.url, `{"batchId":"b","token":"${TOKEN}"`, { headers: good }),
      await post(server.url, batch('bad-2', { token: 42, logs: TOKEN }), { headers: good }),
      await post(server.url, { token: TOKEN, resourceLogs: TOKEN }, { path: '/v1/logs', headers: good }),
      await fetch(`${server.url}/dashboard/api/meta`, { headers: good }),
      await fetch(`${server.url}/dashboard/api/logs?q=${TOKEN}`, { headers: good }),
      await fetch(`${server.url}/dashboard/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `token=${TOKEN}`,
      }),
    );

    expect(answers.map((r) => r.status)).toEqual([
      500, 200, 200, 401, 400, 400, 400, 400, 400, 200, 200, 200,
    ]);
    for (const res of answers) {
      const text = await res.text();
      // Not even part of it (V8's JSON errors quote 10 characters around the error).
      expect(text).not.toContain(TOKEN.slice(0, 6));
      for (const [name, value] of res.headers) expect(`${name}: ${value}`).not.toContain(TOKEN);
    }
    expect(logged.length).toBeGreaterThan(0);
    for (const line of logged) expect(line).not.toContain(TOKEN.slice(0, 6));
  });
});
