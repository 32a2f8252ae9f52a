// Micro-benchmark: the hot-path cost of a stat: one counter increment in a worker's Float64Array row of a
// SharedArrayBuffer block, against a plain local variable, and one HistogramWriter.record.
// Run: npx tsc -p tsconfig.json && node dist/bench/micro/stats.bench.js

import { Bench } from 'tinybench';
import { StatBlock } from '../../core/stats/block.js';
import { CLUSTER, CLUSTER_FULL_SIZE, CLUSTER_H, CLUSTER_HISTOGRAMS } from '../../core/stats/defs.js';
import { HistogramWriter, newHistogramBlock } from '../../core/stats/histograms.js';

const block = new StatBlock('cluster.bench', 'cluster', CLUSTER_FULL_SIZE, 3);
const row = block.row(0);
const slot = CLUSTER.upstream_rq_total;
const writer = new HistogramWriter(newHistogramBlock('cluster.bench', CLUSTER_HISTOGRAMS, 3), 0);

let local = 0;
let value = 0;

const bench = new Bench({ time: 500 });
bench
  .add('counter++ in a shared Float64Array row', () => {
    row[slot]++;
  })
  .add('plain local number++', () => {
    local++;
  })
  .add('HistogramWriter.record (ms value)', () => {
    value = (value + 7) % 5000;
    writer.record(CLUSTER_H.upstream_rq_time, value);
  });

await bench.run();
console.table(bench.table());
if (row[slot] === 0 || local === 0) console.log('unreachable');
