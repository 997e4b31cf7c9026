import { describe, expect, it } from 'vitest';
import { collects } from '../../src/telemetry/levels.js';

const log = (level: string) => ({ level });

describe('levels', () => {
  it("'minimal' keeps error logs and web vitals only", () => {
    expect(['debug', 'info', 'warn', 'error'].map((l) => collects('minimal', 'logs', log(l)))).toEqual([
      false,
      false,
      false,
      true,
    ]);
    expect(collects('minimal', 'metrics', { name: 'web_vital_lcp' })).toBe(true);
    expect(collects('minimal', 'metrics', { name: 'quiz_score' })).toBe(false);
    expect(collects('minimal', 'traces', { name: 'load' })).toBe(false);
  });

  it("'normal' keeps all but debug logs", () => {
    expect(['debug', 'info', 'warn', 'error'].map((l) => collects('normal', 'logs', log(l)))).toEqual([
      false,
      true,
      true,
      true,
    ]);
    expect(collects('normal', 'metrics', { name: 'quiz_score' })).toBe(true);
    expect(collects('normal', 'traces', { name: 'load' })).toBe(true);
  });

  it("'verbose' keeps everything", () => {
    expect(collects('verbose', 'logs', log('debug'))).toBe(true);
  });
});
