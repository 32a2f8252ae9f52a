// Starts a real nuncio process (dist/workers/cli.js) for integration tests and stops it again. With
// NUNCIO_TEST_RUNTIME=bun it runs on Bun (the test runner stays Node.js).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { get, until } from './net.js';
import { findRuntime } from '../../workers/runtime/launch.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLI = path.join(ROOT, 'dist/workers/cli.js');

/** The runtime integration tests start nuncio on (NUNCIO_TEST_RUNTIME=bun|node, default node). */
export const TEST_RUNTIME: 'node' | 'bun' = process.env.NUNCIO_TEST_RUNTIME === 'bun' ? 'bun' : 'node';

/** The Bun binary (the npm package's, or PATH's); throws when there is none. */
export function bunBinary(): string {
  const b = findRuntime('bun');
  if (b.path === null) throw new Error(`no bun binary: looked in ${b.tried.join(', ')}`);
  return b.path;
}

/** Command and arguments that start nuncio's CLI on a runtime (from a test run by Node.js or by `bun test`). */
export function nuncioCommand(runtime: 'node' | 'bun' = TEST_RUNTIME): [string, string] {
  if (runtime === 'bun') return [bunBinary(), CLI];
  return [(globalThis as { Bun?: unknown }).Bun ? (findRuntime('node').path ?? 'node') : process.execPath, CLI];
}

export interface Nuncio {
  proc: ChildProcess;
  adminPort: number;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startNuncio(
  args: string[],
  adminPort: number,
  opts: { env?: Record<string, string>; waitReady?: boolean; runtime?: 'node' | 'bun' } = {},
): Promise<Nuncio> {
  const [cmd, cli] = nuncioCommand(opts.runtime);
  const proc = spawn(cmd, [cli, ...args], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  let exited: number | null | undefined;
  let stopping = false;
  const exit = new Promise<number | null>((r) =>
    proc.once('exit', (code, signal) => {
      exited = code;
      // A nuncio that exits by itself makes later requests fail with ECONNREFUSED: say why, with its output.
      if (!stopping) process.stderr.write(`nuncio (${path.basename(cmd)}, pid ${proc.pid}) exited by itself: code ${code}, signal ${signal}\n${out.slice(-4000)}\n`);
      r(code);
    }),
  );
  const n: Nuncio = {
    proc,
    adminPort,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      stopping = true;
      if (exited !== undefined) return exited;
      proc.kill(signal);
      const t = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      const code = await exit;
      clearTimeout(t);
      return code;
    },
  };
  if (opts.waitReady !== false) {
    try {
      await until(async () => {
        if (exited !== undefined) throw new Error(`nuncio exited with ${exited}:\n${out}`);
        const r = await get(`http://127.0.0.1:${adminPort}/ready`);
        return r.status === 200;
      }, 20_000);
    } catch (e) {
      await n.stop('SIGKILL');
      throw new Error(`nuncio did not become ready: ${(e as Error).message}\n${out}`);
    }
  }
  return n;
}

/** Runs nuncio to completion (e.g. --mode validate) and returns exit code and output. */
export function runNuncio(args: string[], timeoutMs = 20_000, runtime: 'node' | 'bun' = TEST_RUNTIME): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const [cmd, cli] = nuncioCommand(runtime);
    const p = spawn(cmd, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, out, err });
    });
  });
}
