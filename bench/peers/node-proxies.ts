// The Node proxies people deploy instead, each as its own process running a small main program:
// @fastify/http-proxy (fastify + @fastify/reply-from on undici) and http-proxy-3 (the maintained
// http-proxy fork) on node:http with a keep-alive agent. Both speak HTTP/1.1 on both sides.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { startProc } from '../lib/spawn.js';
import type { Peer, PeerStartOptions, RunningPeer } from './peer.js';
import { checkPeer } from './nginx.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** Installed version of an npm package (resolved from the repo), or null. */
export function npmVersion(pkg: string): string | null {
  try {
    const file = require.resolve(`${pkg}/package.json`);
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    // packages whose exports hide package.json: walk up from the entry point
    try {
      let dir = path.dirname(require.resolve(pkg));
      for (let i = 0; i < 5; i++) {
        const f = path.join(dir, 'package.json');
        if (fs.existsSync(f)) {
          const j = JSON.parse(fs.readFileSync(f, 'utf8')) as { name?: string; version: string };
          if (j.name === pkg) return j.version;
        }
        dir = path.dirname(dir);
      }
    } catch {
      // not installed
    }
    return null;
  }
}

function nodePeer(name: string, main: string, packages: readonly string[]): Peer {
  return {
    name,
    missing: () => {
      const absent = packages.filter((p) => npmVersion(p) === null);
      return absent.length === 0 ? null : `npm package${absent.length > 1 ? 's' : ''} ${absent.join(', ')} not installed (npm ci failed?)`;
    },
    supports: (d, u) => d === 'h1' && u === 'h1',
    async start(o: PeerStartOptions): Promise<RunningPeer> {
      fs.mkdirSync(o.dir, { recursive: true });
      const target = `http://${o.upstreamAddress.host}:${o.upstreamAddress.h1Port}`;
      const proc = startProc(name, process.execPath, [path.join(HERE, 'node', main), String(o.port), target], { cpus: o.cpus, logDir: o.dir });
      try {
        await proc.waitFor(/listening/, 20_000);
        await checkPeer(o.port, o.downstream, name, proc);
      } catch (e) {
        await proc.stop();
        throw e;
      }
      return { proc, port: o.port, stop: () => proc.stop() };
    },
  };
}

export const fastifyPeer = nodePeer('@fastify/http-proxy', 'fastify-proxy-main.js', ['fastify', '@fastify/http-proxy']);
export const httpProxy3Peer = nodePeer('http-proxy-3', 'http-proxy-3-main.js', ['http-proxy-3']);
