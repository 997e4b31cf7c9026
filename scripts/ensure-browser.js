// Makes sure the end-to-end tests have a Chromium before they start (`npm test` runs this first).
// Order: $CHROMIUM_PATH, Debian's /usr/bin/chromium, Playwright's own download. When none is there it
// installs one: Debian's package when running as root with apt-get (Playwright's download host is out
// of reach on this project's machines, PLATFORM.md), else `playwright install chromium`. If that fails
// too, it says what to do and exits 1.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

const DEBIAN = '/usr/bin/chromium';

/** @returns {string | null} */
function found() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null;
  if (existsSync(DEBIAN)) return DEBIAN;
  try {
    const own = chromium.executablePath();
    return own && existsSync(own) ? own : null;
  } catch {
    return null;
  }
}

/** @param {string} command @param {string[]} args */
function run(command, args) {
  console.log(`> ${command} ${args.join(' ')}`);
  const r = spawnSync(command, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return r.status === 0;
}

if (found()) process.exit(0);
console.log('No Chromium for the end-to-end tests: installing one.');
const root = typeof process.getuid === 'function' && process.getuid() === 0;
const apt = root && existsSync('/usr/bin/apt-get');
const installed = apt
  ? run('apt-get', ['update']) && run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'])
  : run(process.execPath, ['node_modules/@playwright/test/cli.js', 'install', 'chromium']);
if (installed && found()) process.exit(0);
console.error(
  [
    'The end-to-end tests need Chromium and none could be installed.',
    '- On Debian or Ubuntu: sudo apt-get install chromium (or set CHROMIUM_PATH to a Chromium binary)',
    '- Elsewhere: npx playwright install chromium',
  ].join('\n'),
);
process.exit(1);
