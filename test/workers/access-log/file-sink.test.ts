import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AccessLogSink } from '../../../workers/access-log/file-sink.js';
import { FILE_MAX_LINE, makeLine, payload, PIPE_MAX_LINE } from './file-sink-writer.js';

const WRITER = fileURLToPath(new URL('./file-sink-writer.js', import.meta.url));
const SINK_MODULE = fileURLToPath(new URL('../../../workers/access-log/file-sink.js', import.meta.url));

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'nuncio-sink-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** Checks that every writer's lines 0..count-1 appear exactly once, intact and in order. */
function verifyLines(content: string, writers: number, count: number, maxLen: number, what: string): void {
  assert.ok(content.endsWith('\n'), `${what}: ends with a newline`);
  const lines = content.slice(0, -1).split('\n');
  assert.equal(lines.length, writers * count, `${what}: line count`);
  const next = new Array<number>(writers).fill(0);
  for (const line of lines) {
    const m = /^(\d+) (\d+) (\d+) ([A-Za-z0-9]*)$/.exec(line);
    assert.ok(m !== null, `${what}: malformed line ${JSON.stringify(line.slice(0, 80))}`);
    const writer = Number(m[1]);
    const seq = Number(m[2]);
    assert.ok(writer < writers, `${what}: writer ${writer}`);
    assert.equal(seq, next[writer], `${what}: writer ${writer} order`);
    next[writer]++;
    assert.equal(line + '\n', makeLine(writer, seq, maxLen), `${what}: line ${writer}/${seq} intact`);
    assert.equal(m[4], payload(writer, seq, Number(m[3])));
  }
  assert.deepEqual(next, new Array<number>(writers).fill(count), `${what}: all lines present`);
}

test('threads writing to one file and one pipe never interleave or lose lines', { timeout: 120_000 }, async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'access.log');
    const threads = 4;
    const lines = 5000;
    // The shell pipeline makes the writer's stdout a real pipe (node's own stdio pipes are sockets).
    const quote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;
    const cmd = `${quote(process.execPath)} ${quote(WRITER)} ${quote(file)} ${threads} ${lines} | cat`;
    const res = await run('sh', ['-c', cmd], 110_000);
    assert.equal(res.stderr, '');
    assert.equal(res.code, 0);
    verifyLines(await readFile(file, 'utf8'), threads + 1, lines, FILE_MAX_LINE, 'file');
    verifyLines(res.stdout, threads + 1, lines, PIPE_MAX_LINE, 'pipe');
  });
});

test('/dev/stdout and /dev/stderr work when they are sockets (node child stdio)', { timeout: 30_000 }, async () => {
  const script = `
    import { AccessLogSink } from ${JSON.stringify(SINK_MODULE)};
    const out = new AccessLogSink('/dev/stdout');
    const err = new AccessLogSink('/dev/stderr');
    const big = 'x'.repeat(20000);
    for (let i = 0; i < 100; i++) { out.write('out ' + i + '\\n'); err.write('err ' + i + '\\n'); }
    out.write(big + '\\n');
    await Promise.all([out.close(), err.close()]);
    if (out.errors + err.errors + out.droppedLines + err.droppedLines !== 0) process.exitCode = 3;
  `;
  const res = await run(process.execPath, ['--input-type=module', '-e', script], 25_000);
  assert.equal(res.code, 0);
  const want = Array.from({ length: 100 }, (_, i) => `out ${i}\n`).join('') + 'x'.repeat(20000) + '\n';
  assert.equal(res.stdout, want);
  assert.equal(res.stderr, Array.from({ length: 100 }, (_, i) => `err ${i}\n`).join(''));
});

test('flush writes everything queued so far, in order', async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'a.log');
    const sink = new AccessLogSink(file, { flushIntervalMs: 60_000 });
    sink.write('one\n');
    sink.write('two\n');
    await sink.flush();
    assert.equal(await readFile(file, 'utf8'), 'one\ntwo\n');
    sink.write('three\n');
    await sink.flush();
    await sink.flush();
    assert.equal(await readFile(file, 'utf8'), 'one\ntwo\nthree\n');
    await sink.close();
    assert.equal(sink.errors, 0);
  });
});

test('entries reach the file without an explicit flush (timer)', async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'timer.log');
    const sink = new AccessLogSink(file, { flushIntervalMs: 10 });
    sink.write('tick\n');
    let content = '';
    for (let i = 0; i < 500 && content === ''; i++) {
      await new Promise((r) => setTimeout(r, 10));
      content = await readFile(file, 'utf8').catch(() => '');
    }
    assert.equal(content, 'tick\n');
    await sink.close();
  });
});

test('the size threshold triggers a flush without waiting for the timer', async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'threshold.log');
    const sink = new AccessLogSink(file, { flushIntervalMs: 3_600_000, flushThreshold: 100 });
    const line = 'y'.repeat(60) + '\n';
    sink.write(line);
    sink.write(line);
    let content = '';
    for (let i = 0; i < 500 && content.length < 2 * line.length; i++) {
      await new Promise((r) => setTimeout(r, 10));
      content = await readFile(file, 'utf8').catch(() => '');
    }
    assert.equal(content, line + line);
    await sink.close();
  });
});

test('close flushes everything, later writes are dropped, close is idempotent', async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'close.log');
    const sink = new AccessLogSink(file, { flushIntervalMs: 60_000 });
    let want = '';
    for (let i = 0; i < 20_000; i++) {
      const l = `line ${i} ${'z'.repeat(i % 97)}\n`;
      sink.write(l);
      want += l;
    }
    const closing = sink.close();
    sink.write('late\n');
    await Promise.all([closing, sink.close()]);
    assert.equal(await readFile(file, 'utf8'), want);
    assert.equal(sink.droppedLines, 1);
    assert.equal(sink.errors, 0);
  });
});

test('appends to an existing file', async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'append.log');
    const a = new AccessLogSink(file);
    a.write('first\n');
    await a.close();
    const b = new AccessLogSink(file);
    b.write('second\n');
    await b.close();
    assert.equal(await readFile(file, 'utf8'), 'first\nsecond\n');
  });
});

test('open errors are reported once, counted, and never thrown', async () => {
  await withTempDir(async (dir) => {
    const reported: Error[] = [];
    const sink = new AccessLogSink(join(dir, 'missing-dir', 'x.log'), { onError: (e) => reported.push(e) });
    sink.write('a\n');
    await sink.flush();
    sink.write('b\n');
    sink.write('c\n');
    await sink.flush();
    await sink.close();
    assert.equal(reported.length, 1);
    assert.match(reported[0].message, /ENOENT/);
    assert.equal(sink.errors, 2);
    assert.equal(sink.droppedLines, 3);
  });
});

test('entries beyond the buffer limit are dropped and counted', async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'limit.log');
    const sink = new AccessLogSink(file, { flushIntervalMs: 60_000, flushThreshold: 1 << 30, maxBuffered: 10 });
    sink.write('12345\n');
    sink.write('67890\n');
    sink.write('abc\n');
    await sink.close();
    assert.equal(await readFile(file, 'utf8'), '12345\nabc\n');
    assert.equal(sink.droppedLines, 1);
  });
});
