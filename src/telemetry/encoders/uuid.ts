/**
 * A deterministic UUID (RFC 9562 version 8, "custom") from a string: 128 bits from four seeded FNV-1a
 * passes, each finalised by Murmur3's mixer. Not cryptographic; it only has to be stable and spread well.
 */
export function eventUuid(name: string): string {
  let hex = '';
  for (let seed = 0; seed < 4; seed++) {
    let h = (0x811c9dc5 ^ Math.imul(seed + 1, 0x9e3779b9)) >>> 0;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
    // Murmur3's finaliser: FNV alone leaves the low bits of the four words correlated.
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h = (h ^ (h >>> 16)) >>> 0;
    hex += h.toString(16).padStart(8, '0');
  }
  // Version nibble 8, variant bits 10.
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
