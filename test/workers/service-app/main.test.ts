// The service-app CLI as the topology will run it: a child process that prints its port, serves,
// and exits cleanly on SIGTERM.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../../workers/service-app/main.js', import.meta.url));
const BOUND = { timeout: 15_000 };

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    }).on('error', reject);
  });
}

test('main.js listens, answers, and exits 0 on SIGTERM', BOUND, async () => {
  const child = spawn(process.execPath, [MAIN, '--name', '1', '--address', '127.0.0.1', '--port', '0',
    '--hostname', 'service1-1'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SERVICE_NAME: '' } });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (c: string) => {
        out += c;
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', (code) => reject(new Error(`exited ${code} before listening: ${out}`)));
    });
    const r = await get(port, '/service/1');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'Hello from behind Envoy (service 1)! hostname: service1-1 resolvedhostname: 127.0.0.1\n');
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
});

test('main.js without a service name exits 2 with usage', BOUND, async () => {
  const env = { ...process.env };
  delete env.SERVICE_NAME;
  const child = spawn(process.execPath, [MAIN], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let err = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c: string) => { err += c; });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(code, 2);
  assert.match(err, /SERVICE_NAME/);
  assert.match(err, /usage:/);
});
