// Helper process for file-sink.test.ts: worker threads and the main thread each write numbered
// lines through their own AccessLogSinks to one file and to /dev/stdout at the same time.
// Usage: node file-sink-writer.js <file> <threads> <linesPerThread>

import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { AccessLogSink } from '../../../workers/access-log/file-sink.js';

/** Deterministic line: "<writer> <seq> <len> <payload>\n"; the reader recomputes the payload. */
export function makeLine(writer: number, seq: number, maxLen: number): string {
  // Mostly short lines, with a long one every 37 lines, so batches mix sizes.
  const len = seq % 37 === 0 ? 1000 + ((seq * 7919 + writer * 104729) % (maxLen - 1100)) : 10 + ((seq * 31 + writer) % 300);
  return `${writer} ${seq} ${len} ${payload(writer, seq, len)}\n`;
}

export function payload(writer: number, seq: number, len: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const start = (writer * 131 + seq) % alphabet.length;
  let s = '';
  while (s.length < len) s += alphabet.slice(start) + alphabet.slice(0, start);
  return s.slice(0, len);
}

export const FILE_MAX_LINE = 10_000;
// Lines written to the pipe stay within PIPE_BUF: only those are guaranteed intact on a pipe.
export const PIPE_MAX_LINE = 4_000;

async function writeAll(writer: number, file: string, count: number): Promise<number> {
  const errors: Error[] = [];
  const fileSink = new AccessLogSink(file, { flushIntervalMs: 5, onError: (e) => errors.push(e) });
  const pipeSink = new AccessLogSink('/dev/stdout', { flushIntervalMs: 5, onError: (e) => errors.push(e) });
  for (let i = 0; i < count; i++) {
    fileSink.write(makeLine(writer, i, FILE_MAX_LINE));
    pipeSink.write(makeLine(writer, i, PIPE_MAX_LINE));
    // Yield now and then so flushes interleave with writes, as on a live server.
    if (i % 250 === 249) await new Promise((r) => setImmediate(r));
  }
  await Promise.all([fileSink.close(), pipeSink.close()]);
  if (errors.length > 0) throw errors[0];
  return fileSink.errors + pipeSink.errors + fileSink.droppedLines + pipeSink.droppedLines;
}

async function main(): Promise<void> {
  const [file, threadsArg, linesArg] = process.argv.slice(2);
  if (file === undefined || linesArg === undefined) return; // not started by the test
  const threads = Number(threadsArg);
  const lines = Number(linesArg);
  const self = fileURLToPath(import.meta.url);
  const done: Array<Promise<number>> = [];
  for (let t = 1; t <= threads; t++) {
    const w = new Worker(self, { workerData: { writer: t, file, lines } });
    done.push(new Promise((resolve, reject) => {
      w.once('message', (n: number) => resolve(n));
      w.once('error', reject);
      w.once('exit', (code) => {
        if (code !== 0) reject(new Error(`worker ${t} exited with ${code}`));
      });
    }));
  }
  done.push(writeAll(0, file, lines));
  const problems = (await Promise.all(done)).reduce((a, b) => a + b, 0);
  if (problems !== 0) {
    process.stderr.write(`sink problems: ${problems}\n`);
    process.exitCode = 1;
  }
}

if (isMainThread) {
  if (process.argv[1] === fileURLToPath(import.meta.url)) {
    main().catch((e: unknown) => {
      process.stderr.write(String(e) + '\n');
      process.exitCode = 1;
    });
  }
} else {
  const { writer, file, lines } = workerData as { writer: number; file: string; lines: number };
  writeAll(writer, file, lines).then((n) => parentPort?.postMessage(n));
}
