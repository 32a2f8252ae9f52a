// `make bench`: runs the scenarios, then writes <out>/<date>.json, a Markdown report (printed, and
// <out>/latest.md) and an SVG chart of scenario "front" (<out>/latest.svg). Method: bench/README.md.
// Usage: node dist/bench/run.js [--scenario X[,Y]] [--quick] [--duration S] [--out DIR]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { machine, versions } from './lib/machine.js';
import { parsePlan, type Plan } from './lib/plan.js';
import { markdown } from './lib/report.js';
import { hasCommand, killAllSync, stopAll } from './lib/spawn.js';
import { frontSvg } from './lib/svg.js';
import { isSkipped, type Results, type RowBase } from './lib/types.js';
import { ROOT } from './peers/nuncio.js';
import { runConnections } from './scenarios/connections.js';
import { runFront } from './scenarios/front.js';
import type { Ctx } from './scenarios/measure.js';
import { runMicro } from './scenarios/micro.js';
import { runSeed } from './scenarios/seed.js';
import { runWorkers } from './scenarios/workers.js';
import { runSoak } from './scenarios/soak.js';

function stamp(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

function allRows(r: Results): RowBase[] {
  const s = r.scenarios;
  return [...(s.seed?.rows ?? []), ...(s.front?.rows ?? []), ...(s.connections?.rows ?? []), ...(s.workers?.rows ?? []), ...(s.micro?.rows ?? [])];
}

/** Failed requests per row, and the rows that did not run. */
function tally(r: Results): void {
  const byRow: Record<string, number> = {};
  const add = (id: string, n: number) => {
    if (n > 0) byRow[id] = (byRow[id] ?? 0) + n;
  };
  for (const x of r.scenarios.front?.rows ?? []) {
    add(x.id, x.saturation?.errors.total ?? 0);
    for (const l of [x.latency, x.latencyHalfNginx]) if (l !== undefined && !isSkipped(l)) add(x.id, l.errors.total);
  }
  for (const x of r.scenarios.seed?.rows ?? []) {
    add(x.id, x.saturation?.errors.total ?? 0);
    if (x.latency !== undefined && !isSkipped(x.latency)) add(x.id, x.latency.errors.total);
  }
  for (const x of r.scenarios.connections?.rows ?? []) add(x.id, x.failedRequests ?? 0);
  for (const x of r.scenarios.workers?.rows ?? []) add(x.id, x.saturation?.errors.total ?? 0);
  if (r.scenarios.soak) add('soak', r.scenarios.soak.counts.lost);
  r.errors = { total: Object.values(byRow).reduce((a, b) => a + b, 0), byRow };
  r.problems = allRows(r).filter((x) => x.status !== 'ok').map((x) => ({ id: x.id, status: x.status, reason: x.reason ?? '' }));
}

async function main(): Promise<number> {
  const started = new Date();
  const date = stamp(started);
  const plan = parsePlan(process.argv.slice(2), ROOT, date);
  if (typeof plan === 'string') {
    process.stderr.write(plan);
    return plan.startsWith('usage') ? 0 : 2;
  }
  const t0 = performance.now();
  const log = (line: string) => process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);
  const ctx: Ctx = { plan, log };
  const tools = { wrk: hasCommand('wrk'), h2load: hasCommand('h2load') };
  fs.mkdirSync(plan.runDir, { recursive: true });
  log(`scenarios ${plan.scenarios.join(', ')}${plan.quick ? ' (quick)' : ''}; logs and configs in ${path.relative(process.cwd(), plan.runDir) || plan.runDir}`);
  if (plan.proxyCpus === undefined) log('NOTE: not pinning (taskset missing or fewer than 2 CPUs)');
  const results: Results = {
    schema: 1,
    date: started.toISOString(),
    quick: plan.quick,
    options: optionsOf(plan),
    machine: machine(),
    versions: versions(),
    scenarios: {},
    errors: { total: 0, byRow: {} },
    problems: [],
  };
  for (const s of plan.scenarios) {
    log(`=== scenario ${s}`);
    switch (s) {
      case 'seed':
        results.scenarios.seed = await runSeed(ctx, tools);
        break;
      case 'front':
        results.scenarios.front = await runFront(ctx, tools);
        break;
      case 'connections':
        results.scenarios.connections = await runConnections(ctx, tools);
        break;
      case 'workers':
        results.scenarios.workers = await runWorkers(ctx, tools);
        break;
      case 'micro':
        results.scenarios.micro = await runMicro(ctx);
        break;
      case 'soak':
        results.scenarios.soak = await runSoak(ctx);
        break;
    }
  }
  results.machine.loadavgEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
  results.elapsedS = Math.round((performance.now() - t0) / 1000);
  tally(results);
  fs.mkdirSync(plan.outDir, { recursive: true });
  const jsonFile = path.join(plan.outDir, `${date}${plan.quick ? '-quick' : ''}.json`);
  fs.writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  const md = markdown(results);
  fs.writeFileSync(path.join(plan.outDir, 'latest.md'), `${md}\n`);
  if (results.scenarios.front !== undefined) {
    fs.writeFileSync(path.join(plan.outDir, 'latest.svg'), frontSvg(results.scenarios.front, `nuncio bench, scenario "front": ${results.date.slice(0, 16).replace('T', ' ')}${plan.quick ? ' (quick)' : ''}`));
  }
  process.stdout.write(`${md}\n`);
  if (plan.copyToReadme) copyIntoReadme(md, path.basename(jsonFile), log);
  log(`results: ${jsonFile}, ${path.join(plan.outDir, 'latest.md')}${results.scenarios.front ? `, ${path.join(plan.outDir, 'latest.svg')}` : ''}`);
  if (results.errors.total > 0 || results.problems.length > 0) {
    const bar = '!'.repeat(78);
    process.stderr.write(`\n${bar}\n`);
    if (results.errors.total > 0) process.stderr.write(`!! ${results.errors.total} REQUESTS FAILED during this run: ${JSON.stringify(results.errors.byRow)}\n`);
    for (const p of results.problems) process.stderr.write(`!! ${p.id}: ${p.status.toUpperCase()}: ${p.reason.split('\n')[0]}\n`);
    process.stderr.write(`${bar}\n\n`);
  }
  return 0;
}

const START = '<!-- results:start (written by bench/run.ts) -->';
const END = '<!-- results:end -->';

/**
 * A full run with the default output also refreshes the results sections of bench/README.md (the whole
 * report) and of the top-level README.md (the front-proxy table and the summary lines), between markers.
 */
function copyIntoReadme(md: string, jsonName: string, log: (line: string) => void): void {
  const body = md.replace(/^# /, '### ').replace(/\n## /g, '\n#### ');
  replaceSection(path.join(ROOT, 'bench/README.md'), `From \`bench/results/${jsonName}\` (chart: \`bench/results/latest.svg\`).\n\n${body}`, log);
  replaceSection(path.join(ROOT, 'README.md'), `From \`bench/results/${jsonName}\`; method and every scenario in [bench/README.md](bench/README.md), chart in \`bench/results/latest.svg\`.\n\n${body}`, log);
}

function replaceSection(file: string, content: string, log: (line: string) => void): void {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return;
  }
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) {
    log(`${path.relative(ROOT, file)} has no ${START} ... ${END} section: not updated`);
    return;
  }
  fs.writeFileSync(file, `${text.slice(0, a)}${START}\n\n${content}\n\n${END}${text.slice(b + END.length)}`);
  log(`${path.relative(ROOT, file)}: results section updated`);
}

function optionsOf(p: Plan): Record<string, unknown> {
  return {
    scenarios: p.scenarios, satS: p.satS, satRepeats: p.satRepeats, satWarmupS: p.satWarmupS, latS: p.latS, latWarmupS: p.latWarmupS,
    connections: p.connections, idleConnections: p.idleConnections, workersConnections: p.workersConnections,
    proxyCpus: p.proxyCpus ?? null, loadCpus: p.loadCpus ?? null,
  };
}

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\nbench: ${sig}, stopping everything it started\n`);
    void stopAll().finally(() => process.exit(130));
  });
}
process.on('exit', killAllSync);

main().then(
  async (code) => {
    await stopAll();
    process.exitCode = code;
  },
  async (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    await stopAll();
    process.exitCode = 1;
  },
);
