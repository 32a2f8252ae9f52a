// `make run`: the seed topology on this machine, and `make scale`: change a service's instance count
// while it runs (what `docker-compose scale service1=3` did).
//   node dist/workers/topology/main.js up [--service1 N] [--service2 N]
//   node dist/workers/topology/main.js scale service1 3
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Topology, type ServiceName } from './topology.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CONTROL_PORT = Number(process.env.NUNCIO_TOPOLOGY_CONTROL_PORT ?? 8099);

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

async function up(): Promise<void> {
  const topo = new Topology({
    root: ROOT,
    runDir: path.join(ROOT, '.run'),
    frontHttp: 8080,
    frontHttps: 8443,
    frontAdmin: 8001,
    dnsPort: 8053,
    sidecarPort: 8000,
    sidecarAdmin: 8001,
    appPort: 8080,
    service1: arg('service1', 1),
    service2: arg('service2', 1),
    log: (l) => console.log(`[topology] ${l}`),
  });
  const control = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST' && u.pathname === '/scale') {
      const service = u.searchParams.get('service') as ServiceName;
      const n = Number(u.searchParams.get('n'));
      if (service !== 'service1' && service !== 'service2') {
        res.writeHead(400).end('service must be service1 or service2\n');
        return;
      }
      topo.scale(service, n).then(
        () => res.writeHead(200).end(`${service}: ${topo.instanceIps(service).join(' ')}\n`),
        (e: Error) => res.writeHead(400).end(`${e.message}\n`),
      );
      return;
    }
    res.writeHead(404).end('POST /scale?service=service1&n=3\n');
  });
  await new Promise<void>((r) => control.listen(CONTROL_PORT, '127.0.0.1', () => r()));
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('[topology] stopping');
    control.close();
    await topo.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  try {
    await topo.start();
  } catch (e) {
    console.error(`[topology] failed to start: ${(e as Error).message}`);
    await topo.stop();
    process.exit(1);
  }
  console.log(`
The seed topology is up (logs and generated configs in .run/):
  front proxy  127.0.0.1:8080 (HTTP), 127.0.0.1:8443 (HTTPS), admin 127.0.0.1:8001
  service1     ${topo.instanceIps('service1').join(', ')} (sidecar :8000, app :8080)
  service2     ${topo.instanceIps('service2').join(', ')}
  DNS          127.0.0.1:8053 answers service1 / service2

Try:
  curl -v localhost:8080/service/1
  curl -v localhost:8080/service/2
  curl -k https://localhost:8443/service/1
  make scale SERVICE=service1 N=3      # then: for i in 1 2 3; do curl -s localhost:8080/service/1; done
  curl -s localhost:8001/stats | grep -E 'cluster.service[12].(membership|upstream_rq_total|upstream_cx_http2|external.upstream_rq_200)'
Ctrl-C stops everything.
`);
}

async function scale(): Promise<void> {
  const service = process.argv[3];
  const n = process.argv[4];
  await new Promise<void>((resolve) => {
    const req = http.request({ host: '127.0.0.1', port: CONTROL_PORT, method: 'POST', path: `/scale?service=${service}&n=${n}` }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => {
        process.stdout.write(b);
        if (res.statusCode !== 200) process.exitCode = 1;
        resolve();
      });
    });
    req.on('error', (e) => {
      console.error(`cannot reach the running topology on 127.0.0.1:${CONTROL_PORT} (is \`make run\` running?): ${e.message}`);
      process.exitCode = 1;
      resolve();
    });
    req.end();
  });
}

const cmd = process.argv[2] ?? 'up';
if (cmd === 'up') void up();
else if (cmd === 'scale') void scale();
else {
  console.error('usage: main.js up [--service1 N] [--service2 N] | scale <service1|service2> <N>');
  process.exitCode = 2;
}
