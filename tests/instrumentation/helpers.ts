import { vi } from 'vitest';
import { createTelemetry, type Telemetry } from '../../src/telemetry/client.js';
import type { TelemetryOptions } from '../../src/telemetry/config.js';
import { memoryOutbox } from '../../src/telemetry/outbox.js';
import type { NativeBody } from '../../src/telemetry/records.js';
import { recordingTransport } from '../telemetry/helpers.js';

export const ENDPOINT = 'http://localhost:3000/ingest';

/**
 * A real client whose sends are recorded: tests read what reached the wire. With `after`, it is shut
 * down after the test.
 */
export function wiredClient(
  after?: { add(fn: () => unknown): void },
  options: TelemetryOptions = {},
): {
  telemetry: Telemetry;
  bodies: NativeBody[];
  shutdown: () => Promise<void>;
} {
  const wire = recordingTransport();
  const telemetry = createTelemetry({
    sessionEvents: false,
    endpoint: ENDPOINT,
    transport: wire.transport,
    outbox: memoryOutbox(),
    batchSize: 10_000,
    captureUrl: false,
    ...options,
  });
  const shutdown = () => telemetry.shutdown();
  after?.add(shutdown);
  return { telemetry, bodies: wire.bodies, shutdown };
}

/** Flushes and returns every record of each kind sent so far. */
export async function sent(client: { telemetry: Telemetry; bodies: NativeBody[] }) {
  await client.telemetry.flush();
  return {
    logs: client.bodies.flatMap((b) => b.logs),
    metrics: client.bodies.flatMap((b) => b.metrics),
    traces: client.bodies.flatMap((b) => b.traces),
    json: JSON.stringify(client.bodies),
  };
}

/** Cleanups registered by a test, run in reverse order after it. */
export function cleanups(): { add(fn: () => unknown): void; run(): Promise<void> } {
  const list: (() => unknown)[] = [];
  return {
    add: (fn) => void list.push(fn),
    async run() {
      while (list.length > 0) await list.pop()!();
    },
  };
}

export interface Printed {
  method: string;
  args: unknown[];
  /** The line as a developer would read it: arguments JSON-encoded and joined by spaces. */
  text: string;
}

/** Silences the console methods and records what they were asked to print. Restored by `restoreMocks`. */
export function captureOutput(methods: ('debug' | 'info' | 'log' | 'warn' | 'error')[]): Printed[] {
  const printed: Printed[] = [];
  for (const method of methods) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      const text = args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
      printed.push({ method, args, text });
    });
  }
  return printed;
}
