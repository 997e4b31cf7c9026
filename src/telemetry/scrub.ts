/**
 * Scrubs personal data and credentials out of free text: every string that leaves the page passes here.
 *
 * A single scan of the string finds which rules can apply at all (see `classesOf`); most such rules
 * then have a cheap gate (a literal or a short class) before their full pattern. Checksums (Luhn for
 * cards, mod 97 for IBANs) and digit counts keep order numbers, versions, dates, times and scores intact.
 * A key ending in a digit before a colon (`token2: x`) is not read as a key (`token2=x` is): the scan
 * would otherwise send every time and timestamp through the key=value pattern.
 *
 * Decisions:
 * - A dotted quad is an IPv4 address unless it is glued to a word or a slash (`v1.2.3.4`,
 *   `Chrome/120.0.0.0` stay: versions); `version 1.2.3.4` with a space is redacted: privacy wins. The
 *   host of a URL (`http://10.0.0.5:8080/`) is kept: URLs keep their origin (the server's, not the user's).
 *   Versions with fewer than four parts (`1.2.3`, `v10.4.1`) never look like addresses.
 * - IPv6 needs 8 groups or one `::`, so times (`16:03:38`) and stack positions (`app.js:10:5`) stay.
 * - Cards start with 2–6 (no card network uses 1, 7, 8, 9 or 0), so epoch milliseconds stay.
 * - `/home/NAME` and `/Users/NAME` are redacted when they start a path, not inside a URL
 *   (`https://site/home/welcome` stays); a path route like `GET /home/welcome` loses its segment.
 * - UUIDs and hex ids stay: they are how traces and records are joined. `UUID_PATTERN` is exported
 *   for apps that use UUIDs as user ids (pass it in `scrubPatterns`).
 */

/** A replacement for `String.prototype.replace`: a string (with `$1` etc.) or a function. */
export type Replacement = string | ((match: string, ...groups: string[]) => string);

interface Rule {
  /** Bits (below) `pattern` cannot match without: all of them, and one of `any` when given. */
  all: number;
  any?: number;
  /**
   * Cheap, non-global: the rule runs only on strings it matches. Must match whenever `pattern` can.
   * Left out where the bits alone are as specific.
   */
  gate?: RegExp;
  pattern: RegExp;
  replacement: Replacement;
}

// The pre-check is one scan of the string collecting classes of characters and a few shapes (bits
// below); a clean string ("Quiz answered", "v1.2.3", "Loaded 42 questions") sets none and costs only
// that scan. Each rule lists the bits its pattern cannot match without, so an ISO timestamp or a time
// (digits and colons) runs none of the card, IBAN, IPv6, phone and key=value patterns.
const AT = 1; // @: emails, URL user info
const COLON = 1 << 1; // cookies
const KEYVAL = 1 << 2; // `=`, or `:` after a letter, quote or space: key=value text
const QUERY = 1 << 3; // ? #: URL queries and fragments
const SLASH = 1 << 4; // / \: paths, URLs
const UNDERSCORE = 1 << 5; // `_` after `b` or two after `h`: github_pat_, gh?_, ph?_ keys (sk_ has K)
const A = 1 << 6; // AKIA, ASIA, AIza
const K = 1 << 7; // k, x: sk-, xox?- keys; cookie
const J = 1 << 8; // eyJ: JWTs
const B = 1 << 9; // Bearer, Basic
const UPPER2 = 1 << 10; // two capitals in a row: IBAN country codes
const DIGITS8 = 1 << 11; // phones, IBANs
const CARD = 1 << 12; // 13+ digits in three runs of 4+ or one run of 13+
const IPV4 = 1 << 13; // 4+ digits and 3+ dots
const IPV6 = 1 << 14; // `::` or 7 colons
// Classes that only feed the counts and shapes above.
const DIGIT = 1 << 15;
const DOT = 1 << 16;
const UPPER = 1 << 17;
const TILDE = 1 << 18; // ~user/
const PHONE = 1 << 19; // 9+ digits, or + and 8+, among only digits, spaces and + ( ) . -
const STRETCH = 1 << 20; // characters a phone number may hold besides digits
const PLUS = 1 << 21;
const CLASSES = new Uint32Array(128);
for (const [chars, bit] of [
  ['@', AT],
  [':', COLON],
  ['=', KEYVAL],
  ['?#', QUERY],
  ['/\\', SLASH],
  ['~', TILDE],
  [' +().-', STRETCH],
  ['+', PLUS],
  ['A', A],
  ['kKx', K],
  ['J', J],
  ['bB', B],
  ['.', DOT],
] as const) {
  for (const c of chars) CLASSES[c.charCodeAt(0)]! |= bit;
}
for (let c = 65; c <= 90; c++) CLASSES[c]! |= UPPER; // A-Z
for (let c = 48; c <= 57; c++) CLASSES[c] = DIGIT; // 0-9

/** Whether `c` can end a key before `:` (`token:`, `"token":`, `token :`). */
const endsKey = (c: number): boolean =>
  ((c | 32) >= 97 && (c | 32) <= 122) || c === 95 || c === 34 || c === 39 || c === 32 || c === 9;

/** The bits above for `s`: one pass, no allocation; most lowercase letters cost one table read. */
function classesOf(s: string): number {
  let m = 0;
  let digits = 0;
  let run = 0; // current run of digits
  let runs4 = 0; // runs of 4+ digits
  let longest = 0;
  let colons = 0;
  let dots = 0;
  let stretch = 0; // digits since the last character a phone number cannot hold
  let widest = 0;
  let prev = 0; // the previous character's code, or 0
  // Reads stay in bounds: an out-of-range charCodeAt or typed-array read slows the whole loop down.
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const bits = c < 128 ? CLASSES[c]! : 0;
    if (bits === DIGIT) {
      digits++;
      run++;
      stretch++;
    } else {
      if (!(bits & STRETCH)) {
        if (stretch > widest) widest = stretch;
        stretch = 0;
      }
      if (run > 0) {
        if (run >= 4) runs4++;
        if (run > longest) longest = run;
        run = 0;
      }
      // Not every `_`: snake_case names (`answer_ms`, `user_id`) would run the API key patterns.
      if (c === 95 && (prev === 98 || (i > 1 && s.charCodeAt(i - 2) === 104))) m |= UNDERSCORE;
      if (bits !== 0) {
        m |= bits;
        if (c === 46) dots++;
        else if (c === 58) {
          colons++;
          if (prev === 58) m |= IPV6;
          else if (endsKey(prev)) m |= KEYVAL;
        } else if (bits & UPPER && prev >= 65 && prev <= 90) m |= UPPER2;
      }
    }
    prev = c;
  }
  if (run >= 4) runs4++;
  if (run > longest) longest = run;
  if (stretch > widest) widest = stretch;
  if (digits >= 8) m |= DIGITS8;
  if (widest >= 9 || (widest >= 8 && m & PLUS)) m |= PHONE;
  if (digits >= 13 && (runs4 >= 3 || longest >= 13)) m |= CARD;
  if (digits >= 4 && dots >= 3) m |= IPV4;
  if (colons >= 7) m |= IPV6;
  return m & ~(DIGIT | DOT | UPPER | STRETCH | PLUS);
}

/** Matches a UUID (any version): not scrubbed by default, offered for `scrubPatterns`. */
export const UUID_PATTERN = /\b[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}\b/gi;

function digitCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

/** Luhn checksum of the digits in `s`. */
function luhn(s: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = s.length - 1; i >= 0; i--) {
    let d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) continue;
    if (double && (d *= 2) > 9) d -= 9;
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** ISO 13616 check: country and check digits moved to the end, letters as 10–35, mod 97 is 1. */
function ibanValid(raw: string): boolean {
  const s = raw.replace(/ /g, '');
  if (s.length < 15 || s.length > 34) return false;
  let r = 0;
  for (const c of s.slice(4) + s.slice(0, 4)) {
    const v = parseInt(c, 36);
    r = (v > 9 ? r * 100 + v : r * 10 + v) % 97;
  }
  return r === 1;
}

/** An IPv6 candidate (hex groups and colons) is an address if it has 8 groups, or fewer and one `::`. */
function ipv6Valid(m: string): boolean {
  const halves = m.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h ? h.split(':') : []));
  if (groups.length === 0 || groups.some((g) => !g || g.length > 4)) return false;
  return halves.length === 2 ? groups.length < 8 : groups.length === 8;
}

/** Query and fragment values of a URL-like token become `*`; keys and a trailing `:line:col` stay. */
function scrubUrl(m: string): string {
  const at = m.search(/[?#]/);
  const pos = /:\d+(?::\d+)?$/.exec(m);
  const end = pos && pos.index > at ? pos.index : m.length;
  // String replacements, V8's fast path: a value after `=` becomes `*`, and so does a segment without a key.
  const rest = m
    .slice(at, end)
    .replace(/=[^?#&]+/g, '=*')
    .replace(/([?#&])[^?#&=]+(?=[?#&]|$)/g, '$1*');
  return m.slice(0, at) + rest + m.slice(end);
}

const SCHEME = (m: string, scheme: string, space: string, token: string): string => {
  // `Basic` credentials are padded base64 of `user:password`; `bearer` tokens have a non-letter or are
  // long. Either test keeps prose such as "Basic plan" or "bearer of news".
  const basic = scheme.length === 5;
  const secret = basic
    ? token.length >= 8 && token.length % 4 === 0 && /[\d+/=A-Z]/.test(token) && /[a-z]/.test(token)
    : /[^A-Za-z]/.test(token) || token.length >= 20;
  return secret ? `${scheme}${space}[token]` : m;
};

// Every sensitive key name (privacy.ts) contains one of these words.
const KEY_WORDS =
  '(?:pass|pwd|secret|token|auth|cookie|cred|mail|phone|ssn|cvv|pin|otp|jwt|bearer|sess|sid|key|card|csrf|xsrf)';

/** The built-in rules, in order; `sensitive` decides which `key=value` pairs in text lose their value. */
function builtInRules(sensitive: (key: string) => boolean): Rule[] {
  return [
    // A `Cookie:` or `Set-Cookie:` header line: every cookie in it goes.
    {
      all: COLON | K,
      gate: /cookie/i,
      pattern: /\b((?:set-)?cookie[ \t]*:[ \t]*)(?!\[REDACTED\]|…)\S[^\r\n]*/gi,
      replacement: '$1[REDACTED]',
    },
    // User info in a URL (`https://user:pass@host`), before the email rule reads `pass@host` as an address.
    { all: AT | SLASH, pattern: /(\/\/)[^\s/?#@]+@/g, replacement: '$1[user]@' },
    {
      all: AT,
      pattern: /(?<![\w.%+-])[\w.%+-]+@[A-Za-z\d.-]+\.[A-Za-z]{2,}/g,
      replacement: '[email]',
    },
    { all: J, gate: /eyJ/, pattern: /eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g, replacement: '[token]' },
    {
      all: B,
      gate: /earer|asic|EARER|ASIC/,
      pattern: /\b([Bb]earer|BEARER|[Bb]asic|BASIC)(\s+)([\w.~+/-]+=*)/g,
      replacement: SCHEME,
    },
    {
      // Stripe, OpenAI-style, AWS access key ids, GitHub, PostHog, Slack, Google API keys.
      all: 0,
      any: UNDERSCORE | A | K,
      gate: /[spr]k[_-]|A[KS]IA|AIza|gh[pousr]_|github_pat|ph[cx]_|xox/,
      pattern:
        /\b(?:[spr]k_(?:live|test)_[\dA-Za-z]{10,}|sk-[\w-]{20,}|A[KS]IA[\dA-Z]{16}(?![\dA-Z])|gh[pousr]_[\dA-Za-z]{36,}|github_pat_\w{22,}|ph[cx]_[\dA-Za-z]{20,}|xox[abposr]-[\dA-Za-z-]{10,}|AIza[\w-]{35})/g,
      replacement: '[key]',
    },
    {
      // A token with a slash, then a query or fragment. Starts only at a token boundary: linear time.
      all: QUERY | SLASH,
      gate: /\/[^\s?#]*[?#]/,
      pattern: /(?<![^\s"'`<>(=,;])[^\s"'`<>?#/]*\/[^\s"'`<>?#]*[?#][^\s"'`<>)…]*/g,
      replacement: scrubUrl,
    },
    {
      // Cards: bare 13–19 digits, 4-4-4-4(-3) or Amex-style 4-6-5, Luhn-checked.
      all: CARD,
      pattern:
        /(?<![\d.-])(?:[2-6]\d{12,18}|[2-6]\d{3}([ -])\d{4}\1\d{4}\1\d{1,7}|3\d{3}([ -])\d{6}\2\d{4,5})(?!\d|[.-]\d)/g,
      replacement: (m: string) => (luhn(m) ? '[card]' : m),
    },
    {
      all: DIGITS8 | UPPER2,
      pattern: /\b[A-Z]{2}\d\d(?: ?[A-Z\d]{4}){2,7}(?: ?[A-Z\d]{1,4})?\b/g,
      replacement: (m: string) => (ibanValid(m) ? '[iban]' : m),
    },
    {
      all: IPV6,
      pattern: /(?<![\w:.])(?:[\da-f]{0,4}:){2,7}[\da-f]{0,4}(?![\w:.])/gi,
      replacement: (m: string) => (ipv6Valid(m) ? '[ip]' : m),
    },
    {
      all: IPV4,
      pattern:
        /(?<=^|[^\w./-])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w-]|\.\d)/g,
      replacement: '[ip]',
    },
    {
      // International (+ and 8–15 digits), North American (3-3-4 with separators), or national with a
      // trunk 0 and separators (9–11 digits). Bare digit runs are left: they are too often ids.
      all: PHONE,
      gate: /\+\d|\d{3}[ .)-] ?\d{3}|(?:^|[^\w+.-])0\d{1,4}[ .-]\d\d/,
      pattern:
        /(?<![\w+.-])(?:\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,6}|\(\d{3}\) ?\d{3}[ .-]\d{4}|\d{3}[ .-]\d{3}[ .-]\d{4}|0\d{1,4}(?:[ .-]\d{2,8}){1,4})(?![\w-]|\.\d)/g,
      replacement: (m: string) => {
        const n = digitCount(m);
        return (m[0] === '+' ? n >= 8 && n <= 15 : n >= 9 && n <= 11) ? '[phone]' : m;
      },
    },
    {
      // Home folders: keep the path's shape, lose the user name. String replacements: V8's fast path.
      all: SLASH,
      gate: /sers[\\/]|home\//,
      pattern: /(?<![\w.%-])(\/home\/|\/Users\/|[A-Za-z]:(?:\\\\?|\/)[Uu]sers(?:\\\\?|\/))[^\\/\s"'<>:*?|]+/g,
      replacement: '$1[user]',
    },
    {
      all: TILDE | SLASH,
      gate: /~[A-Za-z_]/,
      pattern: /(?<![\w~/])~[A-Za-z_][\w.-]*(?=\/)/g,
      replacement: '~[user]',
    },
    {
      // `password=…`, `"token": "…"`, `sessionid=…` in text: the same key test as object keys.
      // Only keys holding one of the words match, so a quoted value after an ordinary key (`a: "…"`)
      // cannot swallow a sensitive pair; quotes pair loosely for the same reason.
      all: KEYVAL,
      gate: new RegExp(`${KEY_WORDS}[\\w.-]*["']?[ \\t]*[=:]`, 'i'),
      pattern: new RegExp(
        `(?<![\\w.-])(["']?)([\\w.-]*${KEY_WORDS}[\\w.-]*)(["']?[ \\t]*[=:](?!//)[ \\t]*)` +
          `("[^"\\n]*"|'[^'\\n]*'|(?:bearer |basic )?(?:\\[[^\\]\\s]*\\]|[^\\s&;,"'<>)\\]}[…]+))`,
        'gi',
      ),
      replacement: (m: string, q: string, key: string, sep: string, value: string) => {
        // `*` is a URL query value already scrubbed: the key stays readable there.
        if (/^\*(?:#|$)/.test(value) || !sensitive(key)) return m;
        const quote = value[0] === '"' || value[0] === "'" ? value[0] : '';
        return `${q}${key}${sep}${quote}[REDACTED]${quote}`;
      },
    },
  ];
}

/**
 * `s.replace(re, fn)` for a global `re`, by an `exec` loop: several times faster in V8 than the
 * built-in's generic path for functions. `fn` gets the match and its first four groups.
 */
function replaceEach(s: string, re: RegExp, fn: (match: string, ...groups: string[]) => string): string {
  re.lastIndex = 0;
  let out = '';
  let last = 0;
  let found = false;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    found = true;
    out += s.slice(last, m.index) + fn(m[0], m[1]!, m[2]!, m[3]!, m[4]!);
    last = m.index + m[0].length;
    if (m[0] === '') re.lastIndex++; // an empty match would never move on
  }
  re.lastIndex = 0;
  return found ? out + s.slice(last) : s;
}

/** An extra pattern from the app: every match becomes `replacement`. */
export interface ScrubPattern {
  /** Made global if it is not, so every match is replaced. */
  pattern: RegExp;
  /** @default '[REDACTED]' */
  replacement?: Replacement;
}

/**
 * Builds the text scrubber: built-in rules (each behind its bits and gate, all behind one scan), then
 * the app's patterns, which run on every string since no gate can be derived for them.
 */
export function createTextScrubber(
  sensitive: (key: string) => boolean,
  extra: readonly ScrubPattern[] = [],
  /** Tests only: run every rule's pattern, skipping the pre-check and gates, to check they skip nothing. */
  unguarded = false,
): (text: string) => string {
  const rules = builtInRules(sensitive);
  const custom = extra.map(({ pattern, replacement = '[REDACTED]' }) => ({
    pattern: pattern.global ? pattern : new RegExp(pattern, `${pattern.flags}g`),
    replacement,
  }));
  return (text) => {
    let s = text;
    const classes = unguarded ? -1 : classesOf(s);
    if (classes !== 0) {
      for (const r of rules) {
        const wanted = (classes & r.all) === r.all && (r.any === undefined || (classes & r.any) !== 0);
        if (!unguarded && (!wanted || (r.gate && !r.gate.test(s)))) continue;
        // `search` first: a global replace costs several times a scan even when nothing matches.
        if (typeof r.replacement !== 'string') s = replaceEach(s, r.pattern, r.replacement);
        else if (s.search(r.pattern) >= 0) s = s.replace(r.pattern, r.replacement);
      }
    }
    if (custom.length > 0) {
      try {
        for (const c of custom) s = s.replace(c.pattern, c.replacement as string);
      } catch {
        // A replacement function that throws: fail closed.
        return '[REDACTED]';
      }
    }
    return s;
  };
}
