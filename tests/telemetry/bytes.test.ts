import { describe, expect, it } from 'vitest';
import { utf8Length } from '../../src/telemetry/bytes.js';
import { seeded } from './helpers.js';

const encoded = (s: string): number => new TextEncoder().encode(s).length;

describe('utf8Length', () => {
  it('counts one byte per ASCII character', () => {
    expect(utf8Length('')).toBe(0);
    expect(utf8Length('hello, world')).toBe(12);
    expect(utf8Length('\u0000\u007f')).toBe(2);
  });

  it('counts two bytes for U+0080..U+07FF (Latin accents, Greek, Cyrillic)', () => {
    expect(utf8Length('\u0080')).toBe(2);
    expect(utf8Length('é')).toBe(2);
    expect(utf8Length('Привет')).toBe(12);
    expect(utf8Length('\u07ff')).toBe(2);
  });

  it('counts three bytes for the rest of the Basic Multilingual Plane (CJK, €)', () => {
    expect(utf8Length('\u0800')).toBe(3);
    expect(utf8Length('€')).toBe(3);
    expect(utf8Length('日本語')).toBe(9);
    expect(utf8Length('\uffff')).toBe(3);
  });

  it('counts four bytes for a surrogate pair (emoji), not six', () => {
    expect(utf8Length('😀')).toBe(4);
    expect('😀'.length).toBe(2);
    expect(utf8Length('a😀b')).toBe(6);
    expect(utf8Length('\u{10ffff}')).toBe(4);
  });

  it('counts a lone surrogate as three bytes, like the U+FFFD TextEncoder writes for it', () => {
    expect(utf8Length('\ud800')).toBe(3);
    expect(utf8Length('\udc00')).toBe(3);
    expect(utf8Length('\ud800a')).toBe(4);
    expect(utf8Length('\ud800\ud800')).toBe(6);
    expect(utf8Length('\udc00\ud800')).toBe(6);
    expect(utf8Length('x\ud83d')).toBe(encoded('x\ud83d'));
  });

  it('counts UTF-8 bytes, not string length, for non-ASCII text', () => {
    const body = JSON.stringify({ message: 'Grüße aus Köln — 東京 🚀' });
    expect(utf8Length(body)).toBeGreaterThan(body.length);
    expect(utf8Length(body)).toBe(encoded(body));
  });

  it('equals TextEncoder byte length over a randomized set of strings', () => {
    const random = seeded(20240601);
    // Code units from every UTF-8 length class, plus lone and paired surrogates.
    const pools: Array<() => string> = [
      () => String.fromCharCode(Math.floor(random() * 0x80)),
      () => String.fromCharCode(0x80 + Math.floor(random() * 0x780)),
      () => String.fromCharCode(0x800 + Math.floor(random() * (0xd800 - 0x800))),
      () => String.fromCharCode(0xe000 + Math.floor(random() * 0x2000)),
      () => String.fromCodePoint(0x10000 + Math.floor(random() * 0xfffff)),
      () => String.fromCharCode(0xd800 + Math.floor(random() * 0x800)),
    ];
    for (let n = 0; n < 2000; n++) {
      let s = '';
      const len = Math.floor(random() * 40);
      for (let i = 0; i < len; i++) s += pools[Math.floor(random() * pools.length)]!();
      expect(utf8Length(s), JSON.stringify(s)).toBe(encoded(s));
    }
  });
});
