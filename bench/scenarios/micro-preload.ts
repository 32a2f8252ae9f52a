// Loaded with `node --import` before a tinybench file (bench/micro/*.bench.js): records every task's
// result as a JSON line in $NUNCIO_BENCH_MICRO_OUT, and caps each task's time budget at
// $NUNCIO_BENCH_MICRO_TIME_MS (warm-up at a third of it) so that the growing set of files keeps
// `make bench` inside its time and --quick only checks that the files still run.
import fs from 'node:fs';
import { Bench } from 'tinybench';

const out = process.env.NUNCIO_BENCH_MICRO_OUT;
const cap = Number(process.env.NUNCIO_BENCH_MICRO_TIME_MS);

function shorten(b: Bench): void {
  if (!(cap > 0)) return;
  b.time = Math.min(b.time, cap);
  b.warmupTime = Math.min(b.warmupTime, Math.ceil(cap / 3));
  if (cap < 100) {
    b.iterations = Math.min(b.iterations, 5);
    b.warmupIterations = Math.min(b.warmupIterations, 2);
  }
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
