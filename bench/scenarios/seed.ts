// Scenario "seed": the seed's two-service topology (front nuncio → HTTP/2 → sidecar nuncio → service
// app, per service), driven through the front on /service/1 and /service/2: throughput, latency, and
// CPU per request and peak RSS of every process in the chain. Not pinned: five processes, two cores.
import path from 'node:path';
import { Topology } from '../../workers/topology/topology.js';
import { freePort } from '../lib/net.js';
import { onInterrupt } from '../lib/spawn.js';
import { childrenOf } from '../lib/proc.js';
import type { Role } from '../lib/meter.js';
import type { SeedRow, SeedSection } from '../lib/types.js';
import { ROOT } from '../peers/nuncio.js';
import { errMsg, latency, roundRate, saturation, type Ctx } from './measure.js';

export const SEED_ROWS = ['seed-service1', 'seed-service2'] as const;

/** Names the topology's processes by their command lines. */
function chainRoles(): Role[] {
  const roles: Role[] = [];
  for (const c of childrenOf(process.pid)) {
    const args = c.cmdline.join(' ');
    if (args.includes('workers/cli.js')) {
      const cfg = /-c (\S+)/.exec(args)?.[1] ?? '';
      if (cfg.endsWith('front-envoy.yaml')) roles.push({ role: 'front nuncio', pid: c.pid });
      else {
        const inst = path.basename(path.dirname(cfg));
        roles.push({ role: `sidecar nuncio ${inst}`, pid: c.pid });
      }
    } else if (args.includes('service-app/main.js')) {
      const inst = /--hostname (\S+)/.exec(args)?.[1] ?? String(c.pid);
      roles.push({ role: `service app ${inst}`, pid: c.pid });
    }
  }
  return roles.sort((a, b) => a.role.localeCompare(b.role));
}

export async function runSeed(ctx: Ctx, tools: { wrk: boolean }): Promise<SeedSection> {
  const p = ctx.plan;
  const dir = path.join(p.runDir, 'seed');
  const rows: SeedRow[] = SEED_ROWS.map((id, i) => ({ id, label: `/service/${i + 1}`, path: `/service/${i + 1}`, status: 'ok' }));
  const section: SeedSection = {
    setup: 'front nuncio (config/front-envoy.yaml, --concurrency 1) → HTTP/2 → sidecar nuncio (config/service-envoy.yaml, --concurrency 1) → service app; one instance per service; not pinned',
    rows,
  };
  if (!tools.wrk) {
    for (const r of rows) {
      r.status = 'missing';
      r.reason = 'wrk is not installed (apt-get install wrk failed?)';
    }
    return section;
  }
  let topo: Topology | null = null;
  let forget = () => {};
  try {
    topo = new Topology({
      root: ROOT,
      runDir: dir,
      frontHttp: await freePort(),
      frontHttps: await freePort(),
      frontAdmin: await freePort(),
      dnsPort: await freePort(),
      sidecarPort: await freePort(),
      sidecarAdmin: await freePort(),
      appPort: await freePort(),
      frontConcurrency: 1,
      sidecarConcurrency: 1,
      service1: 1,
      service2: 1,
    });
    const t = topo;
    forget = onInterrupt(() => t.stop());
    await topo.start();
  } catch (e) {
    for (const r of rows) {
      r.status = 'failed';
      r.reason = `topology did not start: ${errMsg(e)}`;
    }
    await topo?.stop().catch(() => {});
    forget();
    return section;
  }
  try {
    const roles = chainRoles();
    ctx.log(`seed: chain ${roles.map((r) => `${r.role}=${r.pid}`).join(', ')}`);
    for (const row of rows) {
      try {
        ctx.log(`seed ${row.path}: saturation`);
        const base = { host: '127.0.0.1', port: topo.o.frontHttp, path: row.path, connections: p.connections, roles, proxyRole: 'front nuncio', logDir: dir };
        const { sat } = await saturation(ctx, { ...base, proto: 'h1' });
        row.saturation = sat;
        ctx.log(`  ${sat.rps.toFixed(0)} req/s, errors ${sat.errors.total}`);
        const rate = roundRate(sat.rps / 2);
        if (rate <= 0) row.latency = { skipped: 'no requests completed at saturation' };
        else {
          ctx.log(`seed ${row.path}: latency at ${rate} req/s`);
          row.latency = await latency(ctx, { ...base, proto: 'h1', rate });
        }
      } catch (e) {
        row.status = 'failed';
        row.reason = errMsg(e);
        ctx.log(`  FAILED: ${row.reason.split('\n')[0]}`);
      }
    }
  } finally {
    await topo.stop();
    forget();
  }
  return section;
}
