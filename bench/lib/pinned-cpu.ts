// What the side-by-side CPU scripts (ablation.ts, bun-upstream-cpu.ts) share: waiting for a port, a
// process's CPU ticks from /proc, stopping a child, a pinned wrk run, and an nginx config skeleton.
import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

export async function waitForPort(port: number, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listening on ${port}`);
}

/** utime + stime of a process (all its threads), in clock ticks. */
export function cpuTicks(pid: number): number {
  const t = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  const rest = t.slice(t.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

export function stopChild(p: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (p.exitCode !== null || p.signalCode !== null) return r();
    p.once('exit', () => r());
    p.kill('SIGTERM');
    setTimeout(() => p.kill('SIGKILL'), 10000).unref();
  });
}

/** wrk on CPU 1 against 127.0.0.1:port/service/1. */
export function wrkPinned(port: number, seconds: number, connections: number): { requests: number; non2xx: number; errors: string } {
  const out = execFileSync('taskset', ['-c', '1', 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, `http://127.0.0.1:${port}/service/1`], { encoding: 'utf8' });
  const m = /(\d+) requests in/.exec(out);
  const non = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const err = /Socket errors:[^\n]*/.exec(out);
  return { requests: m ? Number(m[1]) : 0, non2xx: non ? Number(non[1]) : 0, errors: err ? err[0] : '' };
}

/** An nginx.conf for one worker without a master, its files under `dir`, with `servers` in its http block. */
export function nginxConf(dir: string, servers: string): string {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `  ${k}_temp_path ${path.join(dir, k)};`).join('\n');
  return `worker_processes 1;
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000000;
  keepalive_timeout 300s;
${temp}
${servers}
}
`;
}

/**
 * CPU µs per request of the process `pid` serving 127.0.0.1:port under a pinned wrk run of `seconds`
 * (after a 2-second warm-up for JIT and connections); throws on non-2xx answers or no requests.
 */
export async function measurePinned(pid: number, port: number, seconds: number, connections: number, waitMs = 15_000): Promise<{ rps: number; usPerReq: number; errors: string }> {
  await waitForPort(port, waitMs);
  wrkPinned(port, 2, connections);
  const t0 = cpuTicks(pid);
  const r = wrkPinned(port, seconds, connections);
  const t1 = cpuTicks(pid);
  if (r.non2xx > 0 || r.requests === 0) throw new Error(`${r.non2xx} non-2xx of ${r.requests} ${r.errors}`);
  const us = (((t1 - t0) / CLK_TCK) * 1e6) / r.requests;
  return { rps: Math.round(r.requests / seconds), usPerReq: Math.round(us * 10) / 10, errors: r.errors };
}
