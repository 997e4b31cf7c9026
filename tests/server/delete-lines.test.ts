// @vitest-environment node
// The work of `delete`, without the CLI: which lines match a subject, the atomic rewrite of a day
// file (kept lines byte for byte, untouched files left alone), dry runs, and export checkpoints.
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { shiftOffset } from '../../src/server/delete-checkpoints.js';
import { deleteSubject, lineMatcher } from '../../src/server/delete-lines.js';
import { defaultCheckpointFile, loadCheckpoint, saveCheckpoint } from '../../src/server/export-checkpoint.js';
import { cleanup, tempDir } from './harness.js';

afterEach(cleanup);

const line = (fields: Record<string, unknown>): string => `${JSON.stringify(fields)}\n`;

async function store(dataDir: string, files: Record<string, string>): Promise<void> {
  for (const [file, text] of Object.entries(files)) {
    await mkdir(join(dataDir, file.split('/')[0]!), { recursive: true });
    await writeFile(join(dataDir, file), text);
  }
}

describe('lineMatcher', () => {
  const victim = lineMatcher({ session: 'vic"tim' });
  const anon = lineMatcher({ anonymousId: 'anon-1' });

  it('matches session_id / anonymous_id, and an OTLP line’s own resource', () => {
    expect(victim(line({ message: 'm', session_id: 'vic"tim' }))).toBe(true);
    expect(victim(line({ message: 'm', session_id: null, resource: { 'session.id': 'vic"tim' } }))).toBe(
      true,
    );
    expect(anon(line({ message: 'm', session_id: 's', anonymous_id: 'anon-1' }))).toBe(true);
    expect(anon(line({ session_id: null, anonymous_id: null, resource: { 'anonymous.id': 'anon-1' } }))).toBe(
      true,
    );
  });

  it('does not match the id anywhere else: a message, a context, another field', () => {
    expect(victim(line({ message: 'vic"tim', session_id: 'other' }))).toBe(false);
    expect(anon(line({ message: 'm', session_id: 'anon-1', anonymous_id: 'anon-10' }))).toBe(false);
    expect(anon(line({ message: 'm', context: { anonymous_id: 'anon-1' }, anonymous_id: null }))).toBe(false);
  });

  it('matches a torn line only when it names the id in a subject field', () => {
    expect(victim('{"batch_id":"b","session_id":"vic\\"tim","anonymous_id":null,"mess')).toBe(true);
    expect(victim('{"batch_id":"b","session_id":"x","message":"vic\\"tim')).toBe(false);
  });
});

describe('deleteSubject', () => {
  const a = (n: number) => line({ message: `a${n}`, session_id: 'a', anonymous_id: 'anon-a' });
  const b = (n: number) => line({ message: `b${n}`, session_id: 'b', anonymous_id: 'anon-b' });

  it('removes the subject’s lines from every kind and day, keeping every other byte in order', async () => {
    const dataDir = await tempDir();
    await store(dataDir, {
      'logs/2026-03-14.jsonl': a(1) + b(1) + a(2) + b(2),
      'logs/2026-03-15.jsonl': b(3) + b(4),
      'metrics/2026-03-15.jsonl': a(3) + b(5) + a(4),
      // A last line cut short by a crash, not the subject's: kept as it is, without a newline.
      'traces/2026-03-15.jsonl': `${a(5)}{"batch_id":"x","session_id":"b","mess`,
    });
    const untouched = await stat(join(dataDir, 'logs/2026-03-15.jsonl'));

    const report = await deleteSubject(dataDir, { session: 'a' });
    expect(report).toEqual({
      files: [
        { file: 'logs/2026-03-14.jsonl', removed: 2 },
        { file: 'traces/2026-03-15.jsonl', removed: 1 },
        { file: 'metrics/2026-03-15.jsonl', removed: 2 },
      ],
      total: 5,
    });
    const read = (file: string) => readFile(join(dataDir, file), 'utf8');
    expect(await read('logs/2026-03-14.jsonl')).toBe(b(1) + b(2));
    expect(await read('logs/2026-03-15.jsonl')).toBe(b(3) + b(4));
    expect(await read('metrics/2026-03-15.jsonl')).toBe(b(5));
    expect(await read('traces/2026-03-15.jsonl')).toBe('{"batch_id":"x","session_id":"b","mess');
    // A file without the subject's lines is not rewritten at all.
    expect((await stat(join(dataDir, 'logs/2026-03-15.jsonl'))).ino).toBe(untouched.ino);
    // No temp file is left beside the day files.
    expect(await readdir(join(dataDir, 'logs'))).toEqual(['2026-03-14.jsonl', '2026-03-15.jsonl']);
  });

  it('by anonymous id; a dry run lists the same and changes nothing', async () => {
    const dataDir = await tempDir();
    const text = a(1) + b(1) + a(2);
    await store(dataDir, { 'logs/2026-03-15.jsonl': text });
    const dry = await deleteSubject(dataDir, { anonymousId: 'anon-a' }, { dryRun: true });
    expect(dry).toEqual({ files: [{ file: 'logs/2026-03-15.jsonl', removed: 2 }], total: 2 });
    expect(await readFile(join(dataDir, 'logs/2026-03-15.jsonl'), 'utf8')).toBe(text);
    expect(await deleteSubject(dataDir, { anonymousId: 'anon-a' })).toEqual(dry);
    expect(await readFile(join(dataDir, 'logs/2026-03-15.jsonl'), 'utf8')).toBe(b(1));
    expect(await deleteSubject(dataDir, { anonymousId: 'anon-a' })).toEqual({ files: [], total: 0 });
  });

  it('keeps the removed lines’ batch ids beside each day file, once each; a dry run keeps none', async () => {
    const dataDir = await tempDir();
    const of = (id: string, session: string, n: number) =>
      line({ batch_id: id, session_id: session, message: `${id}/${n}` });
    await store(dataDir, {
      'logs/2026-03-14.jsonl': of('v1', 'a', 1) + of('v1', 'a', 2) + of('k1', 'b', 1),
      // A line torn by a crash still names its batch.
      'logs/2026-03-15.jsonl': of('k2', 'b', 1) + '{"batch_id":"v2","session_id":"a","mess',
      'metrics/2026-03-15.jsonl': of('v1', 'a', 3) + of('v3', 'a', 1),
    });
    await deleteSubject(dataDir, { session: 'a' }, { dryRun: true });
    expect((await readdir(join(dataDir, 'logs'))).filter((n) => n.endsWith('.deleted'))).toEqual([]);
    await deleteSubject(dataDir, { session: 'a' });
    const read = (file: string) => readFile(join(dataDir, file), 'utf8');
    expect(await read('logs/2026-03-14.deleted')).toBe('v1\n');
    expect(await read('logs/2026-03-15.deleted')).toBe('v2\n');
    expect(await read('metrics/2026-03-15.deleted')).toBe('v1\nv3\n');
    // A later delete from the same file adds to the list.
    await store(dataDir, { 'logs/2026-03-14.jsonl': of('k1', 'b', 1) + of('v4', 'c', 1) });
    await deleteSubject(dataDir, { session: 'c' });
    expect(await read('logs/2026-03-14.deleted')).toBe('v1\nv4\n');
  });

  it('moves export checkpoints back by the bytes removed before them', async () => {
    const dataDir = await tempDir();
    await store(dataDir, { 'logs/2026-03-15.jsonl': a(1) + b(1) + a(2) + b(2) });
    const file = defaultCheckpointFile(dataDir, 'otlp http://c');
    // Exported up to the end of b(1): after the delete, that is the end of b(1) in the new file.
    const offset = (a(1) + b(1)).length;
    await saveCheckpoint(file, { target: 'otlp http://c', offsets: { 'logs/2026-03-15': offset } });
    await deleteSubject(dataDir, { session: 'a' });
    expect((await loadCheckpoint(file, 'otlp http://c')).offsets).toEqual({ 'logs/2026-03-15': b(1).length });
  });

  it('shiftOffset subtracts only what lay before the offset', () => {
    const ranges: [number, number][] = [
      [0, 10],
      [20, 30],
      [50, 60],
    ];
    expect(shiftOffset(0, ranges)).toBe(0);
    expect(shiftOffset(10, ranges)).toBe(0);
    expect(shiftOffset(40, ranges)).toBe(20);
    expect(shiftOffset(70, ranges)).toBe(40);
  });
});
