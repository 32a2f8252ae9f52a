// Loaded with `node --import` before a tinybench file (bench/micro/*.bench.js): records every task's
// result as a JSON line in $NUNCIO_BENCH_MICRO_OUT, and under NUNCIO_BENCH_MICRO_QUICK=1 cuts each
// task's time budget so that --quick only checks the files still run.
import fs from 'node:fs';
import { Bench } from 'tinybench';

const out = process.env.NUNCIO_BENCH_MICRO_OUT;
const quick = process.env.NUNCIO_BENCH_MICRO_QUICK === '1';

function shorten(b: Bench): void {
  if (!quick) return;
  b.time = Math.min(b.time, 20);
  b.warmupTime = Math.min(b.warmupTime, 5);
  b.iterations = Math.min(b.iterations, 5);
  b.warmupIterations = Math.min(b.warmupIterations, 2);
}

const run = Bench.prototype.run;
Bench.prototype.run = async function (this: Bench) {
  shorten(this);
  const tasks = await run.call(this);
  if (out !== undefined) {
    for (const t of this.tasks) {
      const r = t.result;
      const line = r === undefined ? { name: t.name, error: 'no result' }
        : r.error !== undefined ? { name: t.name, error: String(r.error) }
        : { name: t.name, opsPerSec: r.hz, meanNs: r.mean * 1e6, rmePct: r.rme, samples: r.samples.length };
      fs.appendFileSync(out, `${JSON.stringify(line)}\n`);
    }
  }
  return tasks;
};
const warmup = Bench.prototype.warmup;
Bench.prototype.warmup = async function (this: Bench) {
  shorten(this);
  return warmup.call(this);
};
