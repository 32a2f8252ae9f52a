// `nuncio --runtime bun` started from Node.js (and `--runtime node` from Bun): finds the other runtime's
// binary and runs the same entry with the same arguments under it, as a child that gets the signals
// this process receives (SIGTERM drains, SIGHUP reloads) and whose exit code becomes ours.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export type Runtime = 'node' | 'bun';

function executable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string, envPath: string): string | null {
  for (const dir of envPath.split(path.delimiter)) {
    if (dir === '') continue;
    const p = path.join(dir, name);
    if (executable(p)) return p;
  }
  return null;
}

/** Where the npm package `bun` put its binary (node_modules/bun/bin/bun.exe, what node_modules/.bin/bun links to). */
function bunFromPackage(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const pkgFile = require.resolve('bun/package.json');
    const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { bin?: Record<string, string> };
    const rel = pkg.bin?.bun;
    if (rel) {
      const p = path.join(path.dirname(pkgFile), rel);
      if (executable(p)) return p;
    }
  } catch {
    // not installed
  }
  return null;
}

export interface RuntimeLookup {
  readonly path: string | null;
  /** Where it looked (for the error message). */
  readonly tried: readonly string[];
}

/**
 * The binary of a runtime: $NUNCIO_BUN / $NUNCIO_NODE if set, then (Bun) the npm package `bun` next to
 * nuncio, then PATH.
 */
export function findRuntime(rt: Runtime, env: NodeJS.ProcessEnv = process.env): RuntimeLookup {
  const tried: string[] = [];
  const override = rt === 'bun' ? env.NUNCIO_BUN : env.NUNCIO_NODE;
  if (override) {
    tried.push(`$NUNCIO_${rt.toUpperCase()} (${override})`);
    return { path: executable(override) ? override : null, tried };
  }
  if (rt === 'bun') {
    tried.push('the npm package "bun" (node_modules/.bin/bun)');
    const p = bunFromPackage();
    if (p !== null) return { path: p, tried };
  }
  tried.push(`${rt} on PATH`);
  return { path: onPath(rt, env.PATH ?? ''), tried };
}

const FORWARDED: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/**
 * Runs `entry` with `args` under the runtime's binary; resolves with the exit code to use (128 + signal
 * number if the child was killed). Returns null (and writes why to stderr) when there is no binary.
 */
export function runUnder(rt: Runtime, entry: string, args: readonly string[]): Promise<number> | null {
  const found = findRuntime(rt);
  if (found.path === null) {
    const install = rt === 'bun' ? ' (npm install bun, or see https://bun.sh)' : '';
    process.stderr.write(`nuncio: --runtime ${rt}: no ${rt} binary found; looked in ${found.tried.join(', ')}${install}\n`);
    return null;
  }
  const child = spawn(found.path, [entry, ...args], { stdio: 'inherit' });
  const handlers = FORWARDED.map((sig) => {
    const h = (): void => {
      child.kill(sig);
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return new Promise((resolve) => {
    const done = (code: number): void => {
      for (const [sig, h] of handlers) process.off(sig, h);
      resolve(code);
    };
    child.once('error', (e) => {
      process.stderr.write(`nuncio: --runtime ${rt}: cannot run ${found.path}: ${e.message}\n`);
      done(1);
    });
    child.once('exit', (code, signal) => {
      if (code !== null) done(code);
      else done(128 + (signal ? (os.constants.signals[signal] ?? 1) : 1));
    });
  });
}

/** The CLI entry (dist/workers/cli.js) next to this module. */
export const CLI_ENTRY = fileURLToPath(new URL('../cli.js', import.meta.url));
