// Smoke test of `make bench`: runs every scenario with --quick into a temporary directory and checks
// that the JSON holds every row of every scenario, each with figures (make test installs every peer, so none
// may be missing or failed), and that the Markdown report and the SVG chart were written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const RUN = path.join(ROOT, 'dist/bench/run.js');

const FRONT = [
  'nginx-h1-h1', 'haproxy-h1-h1', 'haproxy-h1-h2', 'nuncio-uws-h1-h1', 'nuncio-uws-h1-h2', 'nuncio-node-h1-h1',
  'nuncio-node-h1-h2', 'nuncio-bun-h1-h1', 'nuncio-bun-h1-h2', 'fastify-h1-h1', 'http-proxy-3-h1-h1', 'nginx-h2-h1', 'haproxy-h2-h1', 'haproxy-h2-h2',
  'nuncio-node-h2-h1', 'nuncio-node-h2-h2',
];
const SEED = ['seed-service1', 'seed-service2'];
const CONNECTIONS = ['conn-nginx', 'conn-haproxy', 'conn-nuncio-uws', 'conn-nuncio-node'];
const WORKERS = ['workers-uws-1', 'workers-uws-2', 'workers-node-1', 'workers-node-2'];

type Json = Record<string, any>;

function run(args: string[], ms: number): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    // SIGINT lets the bench stop every process it started before it exits.
    const t = setTimeout(() => p.kill('SIGINT'), ms);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, out, err });
    });
  });
}

function finite(x: unknown, what: string): void {
  assert.ok(typeof x === 'number' && Number.isFinite(x), `${what}: expected a number, got ${JSON.stringify(x)}`);
}

/**
 * Every row ran ('ok', checked by `figures`): `make test` installs every peer and tool the bench uses, so a
 * row marked missing is a set-up defect here (its reason is in the message); a failed row fails the test.
 */
function checkRows(section: Json | undefined, ids: readonly string[], name: string, figures: (r: Json) => void): void {
  assert.ok(section !== undefined, `scenario ${name} missing from the results`);
  assert.deepEqual(section.rows.map((r: Json) => r.id), ids, `${name}: rows`);
  for (const r of section.rows as Json[]) {
    if (r.status === 'missing') assert.ok(typeof r.reason === 'string' && r.reason.length > 0, `${r.id}: missing without a reason`);
    assert.equal(r.status, 'ok', `${r.id}: ${r.status}: ${r.reason}`);
    figures(r);
  }
}

function checkLatency(l: Json | undefined, what: string): void {
  assert.ok(l !== undefined, `${what}: no latency entry`);
  if ('skipped' in l) {
    assert.ok(typeof l.skipped === 'string' && l.skipped.length > 0, `${what}: skipped without a reason`);
    return;
  }
  for (const k of ['p50', 'p90', 'p99', 'p999', 'max']) finite(l.corrected[k], `${what} corrected ${k}`);
  for (const k of ['p50', 'p99']) finite(l.uncorrected[k], `${what} uncorrected ${k}`);
  finite(l.rate, `${what} rate`);
  assert.ok(l.requests > 0, `${what}: no requests completed`);
  finite(l.errors.total, `${what} errors`);
}

function checkSaturation(s: Json | undefined, what: string): void {
  assert.ok(s !== undefined, `${what}: no saturation figures`);
  assert.ok(s.requests > 0, `${what}: no requests completed`);
  finite(s.rps, `${what} rps`);
  finite(s.cpuUsPerReq, `${what} cpuUsPerReq`);
  assert.ok(s.cpuUsPerReq > 0, `${what}: zero CPU per request`);
  finite(s.errors.total, `${what} errors`);
  assert.ok(s.processes.length >= 1, `${what}: no process figures`);
}

test('bench --quick runs every row of every scenario and writes its figures', { timeout: 175_000 }, async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nuncio-bench-quick-'));
  try {
    const r = await run([RUN, '--quick', '--out', out], 165_000);
    assert.equal(r.code, 0, `bench exited with ${r.code}:\n${r.err.slice(-6000)}`);
    const json = fs.readdirSync(out).filter((f) => f.endsWith('.json'));
    assert.equal(json.length, 1, `one results file expected, got ${json.join(', ')}`);
    const res = JSON.parse(fs.readFileSync(path.join(out, json[0]), 'utf8')) as Json;

    assert.equal(res.schema, 1);
    assert.equal(res.quick, true);
    assert.ok(!Number.isNaN(Date.parse(res.date)), 'date');
    assert.ok(typeof res.machine.cpuModel === 'string' && res.machine.cores >= 1 && typeof res.machine.kernel === 'string');
    for (const k of ['node', 'nuncio', 'nginx', 'haproxy', 'wrk', 'h2load', 'fastify', '@fastify/http-proxy', 'http-proxy-3', 'undici']) {
      assert.ok(typeof res.versions[k] === 'string' && res.versions[k].length > 0, `version of ${k}`);
    }

    checkRows(res.scenarios.front, FRONT, 'front', (row) => {
      checkSaturation(row.saturation, row.id);
      checkLatency(row.latency, `${row.id} common rate`);
      checkLatency(row.latencyHalfNginx, `${row.id} half nginx`);
      for (const k of ['vsNginx', 'vsHaproxy']) assert.ok(row[k] === null || Number.isFinite(row[k]), `${row.id} ${k}`);
    });
    checkRows(res.scenarios.seed, SEED, 'seed', (row) => {
      checkSaturation(row.saturation, row.id);
      checkLatency(row.latency, row.id);
      const roles = (row.saturation.processes as Json[]).map((p) => p.role).join(', ');
      assert.match(roles, /front nuncio/, `${row.id}: processes ${roles}`);
      assert.match(roles, /sidecar nuncio/, `${row.id}: processes ${roles}`);
      assert.match(roles, /service app/, `${row.id}: processes ${roles}`);
    });
    checkRows(res.scenarios.connections, CONNECTIONS, 'connections', (row) => {
      assert.ok(row.opened > 0, `${row.id}: no connection opened`);
      finite(row.kbPerConnection, `${row.id} kbPerConnection`);
      finite(row.rssAfterMb, `${row.id} rssAfterMb`);
    });
    checkRows(res.scenarios.workers, WORKERS, 'workers', (row) => {
      checkSaturation(row.saturation, row.id);
      if (row.split === null) assert.ok(typeof row.splitNote === 'string' && row.splitNote.length > 0, `${row.id}: no split and no note`);
      else {
        assert.equal(row.split.length, row.id.endsWith('-2') ? 2 : 1, `${row.id}: split`);
        const sum = (row.split as number[]).reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(sum - 100) < 0.01 || sum === 0, `${row.id}: split sums to ${sum}`);
      }
    });
    const micro = res.scenarios.micro as Json;
    assert.ok(micro.rows.length >= 1, 'micro: no tinybench file ran');
    for (const row of micro.rows as Json[]) {
      assert.equal(row.status, 'ok', `${row.id}: ${row.reason}`);
      assert.ok(row.tasks.length >= 1, `${row.id}: no tasks`);
      for (const t of row.tasks as Json[]) assert.ok(t.opsPerSec > 0, `${row.id} ${t.name}: ops/s`);
    }

    // The soak: every request answered through restarts, DNS changes and two reloads.
    const soak = res.scenarios.soak as Json;
    assert.ok(soak.counts.sent > 0, 'soak: no traffic');
    assert.equal(soak.counts.answered + soak.counts.lost, soak.counts.sent, 'soak: every request is answered or counted lost');
    assert.equal(soak.counts.lost, 0, `soak lost requests: ${JSON.stringify(soak.lostReasons)}`);
    assert.equal(soak.reloadsApplied, 2, 'soak: both reloads applied');
    // Errors of nuncio's own: at most a retry that met a restarting host on every attempt (a 503 naming the
    // connect failure), never anything else, and rare (0 in a quiet 15 s run with the soak's cluster settings).
    const odd = Object.entries(soak.unexpectedReplies as Record<string, number>);
    for (const [k] of odd) assert.match(k, /^503 \/\w+: upstream connect error or disconnect\/reset before headers/, `soak: unexpected reply ${k}`);
    const oddTotal = odd.reduce((n, [, v]) => n + v, 0);
    assert.ok(oddTotal <= soak.counts.answered / 100, `soak: ${oddTotal} of ${soak.counts.answered} answers were nuncio's own errors: ${JSON.stringify(soak.unexpectedReplies)}`);
    assert.ok(soak.events.length >= 6, 'soak: every disturbance happened');
    assert.ok(soak.rssMb.length > 5, 'soak: RSS sampled');

    const md = fs.readFileSync(path.join(out, 'latest.md'), 'utf8');
    for (const h of ['## Front proxy', '## Seed topology', '## Idle keep-alive connections', '## Workers', '## Micro-benchmarks', '## Soak']) assert.ok(md.includes(h), `latest.md: ${h}`);
    finite(res.errors.total, 'errors.total');
    if (res.errors.total > 0) assert.match(md, /REQUESTS FAILED/, 'a run with failed requests must say so');
    assert.ok(r.out.includes('## Front proxy'), 'the Markdown report is printed');
    const svg = fs.readFileSync(path.join(out, 'latest.svg'), 'utf8');
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.equal((svg.match(/<text [^>]*text-anchor="end"/g) ?? []).length, FRONT.length, 'one labelled bar per front row');
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
