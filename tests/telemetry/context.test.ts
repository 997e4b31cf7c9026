import { describe, expect, it } from 'vitest';
import { deviceContext } from '../../src/telemetry/context.js';

const UA = {
  chromeLinux:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.7390.54 Safari/537.36',
  edgeWindows:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 Edg/140.0.3485.54',
  safariIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1',
  firefoxMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:141.0) Gecko/20100101 Firefox/141.0',
  chromeAndroidTablet:
    'Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Safari/537.36',
  samsungPhone:
    'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/28.0 Chrome/130.0.0.0 Mobile Safari/537.36',
};

describe('deviceContext', () => {
  it.each([
    ['chromeLinux', { browser: 'Chrome 156', os: 'Linux', device: 'desktop' }],
    ['edgeWindows', { browser: 'Edge 140', os: 'Windows', device: 'desktop' }],
    ['safariIphone', { browser: 'Safari 18', os: 'iOS', device: 'mobile' }],
    ['firefoxMac', { browser: 'Firefox 141', os: 'macOS', device: 'desktop' }],
    ['chromeAndroidTablet', { browser: 'Chrome 139', os: 'Android', device: 'tablet' }],
    ['samsungPhone', { browser: 'Samsung Internet 28', os: 'Android', device: 'mobile' }],
  ] as const)('reads %s coarsely: name, major version, OS, device class', (name, expected) => {
    expect(deviceContext({ userAgent: UA[name] })).toEqual(expected);
  });

  it('an iPad asking for the desktop site (a Mac with touch) is a tablet', () => {
    const ua =
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Safari/605.1.15';
    expect(deviceContext({ userAgent: ua, maxTouchPoints: 5 }).device).toBe('tablet');
    expect(deviceContext({ userAgent: ua, maxTouchPoints: 0 }).device).toBe('desktop');
  });

  it('prefers userAgentData (low-entropy values only) and skips GREASE and Chromium brands', () => {
    const nav = {
      userAgent: UA.chromeLinux,
      userAgentData: {
        brands: [
          { brand: 'Not)A;Brand', version: '8' },
          { brand: 'Chromium', version: '156' },
          { brand: 'Google Chrome', version: '156' },
        ],
        platform: 'Android',
        mobile: true,
      },
    } as unknown as Navigator;
    expect(deviceContext(nav)).toEqual({ browser: 'Chrome 156', os: 'Android', device: 'mobile' });
  });

  it('never carries a minor version, and gives {} without a user agent or when reading throws', () => {
    expect(JSON.stringify(deviceContext({ userAgent: UA.chromeLinux }))).not.toContain('7390');
    expect(deviceContext({})).toEqual({});
    const throwing = {
      get userAgent(): string {
        throw new Error('no');
      },
    };
    expect(deviceContext(throwing)).toEqual({});
  });
});
