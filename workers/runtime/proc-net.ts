// Open TCP connections on a local port, read from /proc/net/tcp{,6}. uWebSockets.js 20.30 exposes no
// connection hooks, so this is how nuncio knows when a uWS listener's connections are gone (before a
// worker may exit) and how many are open (the listener's downstream_cx_active gauge). Linux only.
import fs from 'node:fs';

// TCP states to ignore: LISTEN (0A), TIME_WAIT (06), CLOSE (07).
const IGNORED = new Set(['0A', '06', '07']);

export function countServerConnections(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let n = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    const lines = text.split('\n');
    for (let i = 1; i < lines.length; i++) {
      const f = lines[i].trim().split(/\s+/);
      if (f.length < 4) continue;
      const local = f[1];
      if (local.slice(local.indexOf(':') + 1) !== hexPort) continue;
      if (!IGNORED.has(f[3])) n++;
    }
  }
  return n;
}
