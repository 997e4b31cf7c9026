/**
 * Coarse context for the resource: browser name and major version, OS name, and device class. Read
 * from `navigator.userAgentData` where the browser has it (its low-entropy values only: brands,
 * platform, mobile), else from the user agent string. Nothing that fingerprints: no minor versions, no
 * screen size, fonts, canvas or plugins.
 */

interface UaData {
  brands?: { brand: string; version: string }[];
  platform?: string;
  mobile?: boolean;
}

/** Browser, OS and device class; empty fields are left out. */
export interface DeviceContext {
  browser?: string;
  os?: string;
  device?: 'mobile' | 'tablet' | 'desktop';
}

// Checked in order: Edge and Opera carry "Chrome" in their user agent, Chrome carries "Safari".
const BROWSERS: [name: string, pattern: RegExp][] = [
  ['Edge', /Edg(?:e|A|iOS)?\/(\d+)/],
  ['Opera', /OPR\/(\d+)/],
  ['Samsung Internet', /SamsungBrowser\/(\d+)/],
  ['Firefox', /(?:Firefox|FxiOS)\/(\d+)/],
  ['Chrome', /(?:Chrome|CriOS)\/(\d+)/],
  ['Safari', /Version\/(\d+).*Safari/],
];
const OSES: [name: string, pattern: RegExp][] = [
  ['Android', /Android/],
  ['iOS', /iPhone|iPad|iPod/],
  ['Windows', /Windows/],
  ['macOS', /Mac OS X|Macintosh/],
  ['ChromeOS', /CrOS/],
  ['Linux', /Linux/],
];

/** The context of `nav` (the page's `navigator` by default); `{}` outside a browser. */
export function deviceContext(nav: Partial<Navigator> | undefined = globalThis.navigator): DeviceContext {
  try {
    const ua = nav?.userAgent ?? '';
    const data = (nav as { userAgentData?: UaData } | undefined)?.userAgentData;
    const out: DeviceContext = {};
    // userAgentData lists a "Not A Brand"-style GREASE brand and "Chromium" beside the real one.
    const brand = data?.brands?.find((b) => !/Not.?A.?Brand|Chromium/i.test(b.brand));
    const found = BROWSERS.find(([, p]) => p.test(ua));
    if (brand) out.browser = `${brand.brand.replace(/^Google |^Microsoft /, '')} ${brand.version}`;
    else if (found) out.browser = `${found[0]} ${found[1].exec(ua)![1]}`;
    const os = data?.platform || OSES.find(([, p]) => p.test(ua))?.[0];
    if (os) out.os = os;
    // iPadOS 13+ reads as a Mac; a Mac has no touch points.
    const tablet =
      /iPad|Tablet/.test(ua) ||
      (/Android/.test(ua) && !/Mobile/.test(ua)) ||
      (/Macintosh/.test(ua) && (nav?.maxTouchPoints ?? 0) > 1);
    const mobile = data?.mobile ?? /Mobi|iPhone|iPod/.test(ua);
    if (ua || data) out.device = tablet ? 'tablet' : mobile ? 'mobile' : 'desktop';
    return out;
  } catch {
    return {};
  }
}
