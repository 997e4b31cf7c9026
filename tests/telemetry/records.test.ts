import { describe, expect, it } from 'vitest';
import { emptyItems, hexId, KINDS } from '../../src/telemetry/records.js';
import { seeded } from './helpers.js';

describe('hexId', () => {
  it('makes W3C trace ids (32 lower-case hex) and span ids (16 lower-case hex)', () => {
    for (let i = 0; i < 100; i++) {
      expect(hexId(16)).toMatch(/^[0-9a-f]{32}$/);
      expect(hexId(8)).toMatch(/^[0-9a-f]{16}$/);
    }
  });

  it('does not repeat ids from crypto.getRandomValues', () => {
    const ids = new Set(Array.from({ length: 2_000 }, () => hexId(8)));
    expect(ids.size).toBe(2_000);
  });

  it('is deterministic with an injected random', () => {
    expect(hexId(16, seeded(7))).toBe(hexId(16, seeded(7)));
    expect(hexId(16, seeded(7))).not.toBe(hexId(16, seeded(8)));
    expect(hexId(4, () => 0.5)).toBe('88888888');
    expect(hexId(2, () => 0.999999)).toBe('ffff');
  });

  it('uses every hex digit', () => {
    const random = seeded(1);
    const digits = new Set(Array.from({ length: 200 }, () => hexId(8, random)).join(''));
    expect([...digits].sort().join('')).toBe('0123456789abcdef');
  });

  it('never returns the all-zero id, which W3C Trace Context forbids', () => {
    let calls = 0;
    // Zero for the first id's worth of digits, then something else.
    const random = (): number => (calls++ < 16 ? 0 : 0.3);
    const id = hexId(8, random);
    expect(id).not.toMatch(/^0+$/);
    expect(id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('never loops forever or throws when an injected random is stuck at 0', () => {
    let id = '';
    expect(() => (id = hexId(8, () => 0))).not.toThrow();
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(id).not.toMatch(/^0+$/);
  });
});

describe('batch items', () => {
  it('lists the three kinds by wire name', () => {
    expect(KINDS).toEqual(['logs', 'traces', 'metrics']);
  });

  it('starts empty and fresh each time', () => {
    const a = emptyItems();
    expect(a).toEqual({ logs: [], traces: [], metrics: [] });
    a.logs.push({ timestamp: 1, level: 'info', message: 'm', context: {} });
    expect(emptyItems().logs).toEqual([]);
  });
});
