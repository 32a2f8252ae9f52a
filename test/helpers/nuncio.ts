// Starts a real nuncio process (dist/workers/cli.js) for integration tests and stops it again.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { get, until } from './net.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLI = path.join(ROOT, 'dist/workers/cli.js');

export interface Nuncio {
  proc: ChildProcess;
  adminPort: number;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startNuncio(args: string[], adminPort: number, opts: { env?: Record<string, string>; waitReady?: boolean } = {}): Promise<Nuncio> {
  const proc = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  let exited: number | null | undefined;
  const exit = new Promise<number | null>((r) => proc.once('exit', (code) => r((exited = code))));
  const n: Nuncio = {
    proc,
    adminPort,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
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
export function runNuncio(args: string[], timeoutMs = 20_000): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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
