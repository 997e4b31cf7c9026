// The servers `npm run bench:ingest` compares, each started fresh in its own temp dir on 127.0.0.1:
// ours (bin/pwa-telemetry.js serve), the seed's ingest.php under `php -S` (2 workers), and under
// nginx + php-fpm (5 static children). A peer whose binary is missing is skipped with a reason.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TOKEN = 'bench-token';
const root = fileURLToPath(new URL('..', import.meta.url));
const SEED_PHP = join(root, 'bench/ingest-php/ingest.php');

/**
 * @typedef {object} Peer
 * @property {string} name
 * @property {string} path request path for wrk
 * @property {string} dataDir where the peer writes `<kind>/<day>.jsonl`
 * @property {boolean} dedupes true when lines carry batch_id (ours)
 * @property {number} port
 * @property {() => Promise<void>} stop
 */
/** @typedef {{ name: string, start: (dir: string) => Promise<Peer>, missing: () => string | undefined }} PeerKind */

/** @param {string} command */
function which(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).stdout.trim() || undefined;
}

/** @returns {Promise<number>} a free loopback port */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Spawns a long-running process and waits until `port` answers HTTP; stop() sends SIGTERM and waits.
 * @param {string} command @param {string[]} args @param {number} port @param {NodeJS.ProcessEnv} [env]
 */
async function launch(command, args, port, env = process.env) {
  // Own process group: php -S forks workers that a SIGTERM to the parent alone leaves running.
  const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + String(chunk)).slice(-2000)));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} exited: ${stderr}`);
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${command} did not listen on ${port}: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return async () => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    await exited;
    // Let go of the pipe even if a grandchild still holds it, so the bench can exit.
    child.stderr.destroy();
  };
}

/** The seed's ingest.php next to a config.php pointing at `dataDir` (T2.2 with our paths). */
function phpDocroot(/** @type {string} */ dir) {
  const www = join(dir, 'www');
  const dataDir = join(dir, 'data');
  mkdirSync(www, { recursive: true });
  copyFileSync(SEED_PHP, join(www, 'ingest.php'));
  writeFileSync(
    join(www, 'config.php'),
    `<?php\ndefine('TELEMETRY_TOKEN', '${TOKEN}');\ndefine('TELEMETRY_STORAGE_PATH', '${dataDir}');\ndefine('TELEMETRY_RETENTION_DAYS', 30);\n`,
  );
  return { www, dataDir };
}

/**
 * @param {string} name @param {string[]} extra serve flags
 * @returns {PeerKind}
 */
function oursWith(name, extra) {
  return {
    name,
    missing: () => undefined,
    async start(dir) {
      const port = await freePort();
      const dataDir = join(dir, 'data');
      const args = ['bin/pwa-telemetry.js', 'serve', '--port', String(port), '--data-dir', dataDir];
      args.push('--token', TOKEN, '--rate-limit', 'off', ...extra);
      const stop = await launch(process.execPath, args, port);
      return { name, path: '/ingest', dataDir, dedupes: true, port, stop };
    },
  };
}

export const ours = oursWith('pwa-telemetry serve', []);
export const oursWorkers = oursWith('pwa-telemetry serve --workers 2', ['--workers', '2']);

/** @type {PeerKind} */
export const phpCli = {
  name: 'ingest.php, php -S (2 workers)',
  missing: () => (which('php') ? undefined : 'php (Debian package php-cli) is not installed'),
  async start(dir) {
    const port = await freePort();
    const { www, dataDir } = phpDocroot(dir);
    const env = { ...process.env, PHP_CLI_SERVER_WORKERS: '2' };
    const stop = await launch('php', ['-S', `127.0.0.1:${port}`, '-t', www], port, env);
    return { name: this.name, path: '/ingest.php', dataDir, dedupes: false, port, stop };
  },
};

const FPM = ['php-fpm', 'php-fpm8.4', 'php-fpm8.3', 'php-fpm8.2'];

/** @type {PeerKind} */
export const nginxFpm = {
  name: 'ingest.php, nginx + php-fpm (5)',
  missing() {
    if (!which('nginx')) return 'nginx is not installed (Debian package nginx)';
    if (!FPM.some(which)) return 'php-fpm is not installed (Debian package php-fpm)';
    return undefined;
  },
  async start(dir) {
    const port = await freePort();
    const { www, dataDir } = phpDocroot(dir);
    const fpm = /** @type {string} */ (FPM.map(which).find(Boolean));
    const sock = join(dir, 'fpm.sock');
    const asRoot = process.getuid?.() === 0;
    writeFileSync(
      join(dir, 'fpm.conf'),
      `[global]\npid = ${dir}/fpm.pid\nerror_log = ${dir}/fpm.log\ndaemonize = no\n` +
        `[www]\nlisten = ${sock}\npm = static\npm.max_children = 5\n`,
    );
    for (const t of ['body', 'fastcgi', 'proxy', 'uwsgi', 'scgi'])
      mkdirSync(join(dir, 'tmp', t), { recursive: true });
    writeFileSync(
      join(dir, 'nginx.conf'),
      `daemon off;\nworker_processes auto;\npid ${dir}/nginx.pid;\nerror_log ${dir}/nginx.log warn;\n` +
        (asRoot ? 'user root;\n' : '') +
        `events { worker_connections 1024; }\nhttp {\n  access_log off;\n` +
        ['body', 'fastcgi', 'proxy', 'uwsgi', 'scgi']
          .map((t) => `  ${t === 'body' ? 'client_body' : t}_temp_path ${dir}/tmp/${t};\n`)
          .join('') +
        // Bodies up to 128 KiB stay in memory, as an operator would set for 59 KB batches.
        `  client_max_body_size 2m;\n  client_body_buffer_size 128k;\n` +
        `  server {\n    listen 127.0.0.1:${port};\n    root ${www};\n` +
        `    location = /ingest.php {\n      include /etc/nginx/fastcgi_params;\n` +
        `      fastcgi_param SCRIPT_FILENAME $document_root/ingest.php;\n      fastcgi_pass unix:${sock};\n    }\n  }\n}\n`,
    );
    const fpmChild = spawn(fpm, [...(asRoot ? ['-R'] : []), '-F', '-y', join(dir, 'fpm.conf')], {
      stdio: 'ignore',
      detached: true,
    });
    const fpmExited = new Promise((resolve) => fpmChild.once('exit', resolve));
    // nginx answers before php-fpm listens; wait for the socket so the first requests are not 502s.
    for (let i = 0; i < 200 && !existsSync(sock); i++)
      await new Promise((resolve) => setTimeout(resolve, 25));
    const stopNginx = await launch(
      'nginx',
      ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'nginx.log')],
      port,
    );
    return {
      name: this.name,
      path: '/ingest.php',
      dataDir,
      dedupes: false,
      port,
      async stop() {
        await stopNginx();
        if (fpmChild.pid !== undefined) process.kill(-fpmChild.pid, 'SIGTERM');
        await fpmExited;
      },
    };
  },
};

export const PEERS = [ours, oursWorkers, phpCli, nginxFpm];
