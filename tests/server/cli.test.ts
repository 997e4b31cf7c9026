// @vitest-environment node
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/server/index.js';
import { batch, cleanup, lines, post, tempDir } from './harness.js';

afterEach(cleanup);

/** An in-memory terminal; `stop()` plays the part of Ctrl-C. */
function terminal(): CliIo & { out: string[]; err: string[]; stop(): void; started: Promise<void> } {
  let stop = (): void => {};
  let started = (): void => {};
  const out: string[] = [];
  return {
    out,
    err: [],
    stdout(line) {
      out.push(line);
      if (line.startsWith('storing')) started();
    },
    stderr(line) {
      this.err.push(line);
    },
    untilStopped: () => new Promise<void>((resolve) => (stop = resolve)),
    stop: () => stop(),
    started: new Promise<void>((resolve) => (started = resolve)),
  };
}

describe('runCli', () => {
  it('prints usage for --help and exits 0', async () => {
    const io = terminal();
    expect(await runCli(['--help'], {}, io)).toBe(0);
    expect(io.out.join('\n')).toMatch(/^Usage: pwa-telemetry <command>/);
    expect(io.err).toEqual([]);
  });

  it('prints usage on stderr and exits 2 for an unknown or missing command', async () => {
    const io = terminal();
    expect(await runCli(['launch'], {}, io)).toBe(2);
    expect(io.err[0]).toBe('unknown command "launch"');
    expect(io.err[1]).toMatch(/^Usage:/);
    expect(await runCli([], {}, io)).toBe(2);
    expect(io.err[2]).toBe('missing command');
  });

  it('exits 2 with the reason for a bad serve option', async () => {
    const io = terminal();
    expect(await runCli(['serve', '--port', 'http'], {}, io)).toBe(2);
    expect(io.err).toEqual([
      'pwa-telemetry: --port must be an integer from 0 to 65535, got "http" (see pwa-telemetry --help)',
    ]);
  });

  it('serves until stopped, printing the URL and the data dir', async () => {
    const dataDir = await tempDir();
    const io = terminal();
    const exit = runCli(['serve', '--port', '0', '--token', 't'], { TELEMETRY_DATA_DIR: dataDir }, io);
    await io.started;

    const url = /listening on (http:\/\/\S+)\/ingest$/.exec(io.out[0]!)?.[1];
    expect(io.out[1]).toBe(`storing JSONL in ${dataDir}`);
    const res = await post(url!, batch('b1'), { headers: { 'X-Telemetry-Token': 't' } });
    expect(res.status).toBe(200);
    // The CLI runs on the real clock, so the day file is named after today.
    const [file] = (await readdir(join(dataDir, 'logs'))).filter((name) => name.endsWith('.jsonl'));
    expect(await lines(dataDir, 'logs', file!.replace('.jsonl', ''))).toHaveLength(1);

    io.stop();
    expect(await exit).toBe(0);
    expect(io.out.at(-1)).toBe('stopped');
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});
