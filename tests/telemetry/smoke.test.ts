import { describe, expect, it } from 'vitest';
import { createTelemetry } from '../../src/telemetry/client.js';
import type { SendRequest, Transport } from '../../src/telemetry/transport.js';

describe('smoke', () => {
  it('delivers a log', async () => {
    const sent: SendRequest[] = [];
    const transport: Transport = { send: (r) => (sent.push(r), Promise.resolve({ outcome: 'ok', status: 200 })) };
    const t = createTelemetry({ endpoint: 'http://x/ingest', token: 'tok', transport });
    t.log('info', 'hello', { a: 1 });
    await t.flush();
    expect(sent).toHaveLength(1);
    console.log(sent[0]);
    console.log(t.status());
    await t.shutdown();
  });
});
