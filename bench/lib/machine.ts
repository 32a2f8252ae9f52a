// What a result is only meaningful with: the machine (CPU model, cores, kernel, memory, load) and
// the version of every program and package that took part.
import os from 'node:os';
import { hasCommand, runQuiet } from './spawn.js';
import type { Machine } from './types.js';
import { nginxVersion } from '../peers/nginx.js';
import { haproxyVersion } from '../peers/haproxy.js';
import { bunVersion, nuncioVersion } from '../peers/nuncio.js';
import { npmVersion } from '../peers/node-proxies.js';

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism?.() ?? cpus.length,
    kernel: `${os.type()} ${os.release()}`,
    memTotalMb: Math.round(os.totalmem() / 1048576),
    loadavgStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

function probe(cmd: string, args: string[], re: RegExp): string {
  if (!hasCommand(cmd)) return 'missing';
  const m = re.exec(runQuiet(cmd, args).out);
  return m ? m[1] : 'unknown';
}

export const NPM_PEERS = ['fastify', '@fastify/http-proxy', '@fastify/reply-from', 'undici', 'http-proxy-3'] as const;
export const NPM_TOOLS = ['uWebSockets.js', 'hdr-histogram-js', 'piscina', 'tinybench'] as const;

export function versions(): Record<string, string> {
  const v: Record<string, string> = {
    node: process.versions.node,
    bun: bunVersion() ?? 'missing',
    nuncio: nuncioVersion() ?? 'missing',
    nginx: nginxVersion() ?? 'missing',
    haproxy: haproxyVersion() ?? 'missing',
    wrk: probe('wrk', ['-v'], /wrk\s+(\S+)/),
    h2load: probe('h2load', ['--version'], /nghttp2\/(\S+)/),
  };
  for (const p of [...NPM_PEERS, ...NPM_TOOLS]) v[p] = npmVersion(p) ?? 'missing';
  return v;
}
