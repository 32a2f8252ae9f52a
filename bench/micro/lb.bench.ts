// Micro-benchmark: one host pick per request for each LB policy, with 3 and 100 hosts, equal weights
// (plain rotation / P2C / uniform) and unequal weights (EDF for ROUND_ROBIN and LEAST_REQUEST).
// Run: npx tsc -p tsconfig.json && node dist/bench/micro/lb.bench.js

import { Bench } from 'tinybench';
import { Host } from '../../core/cluster/host.js';
import type { LoadBalancer } from '../../core/cluster/lb/types.js';
import { RoundRobinLb } from '../../core/cluster/lb/round-robin.js';
import { LeastRequestLb } from '../../core/cluster/lb/least-request.js';
import { RandomLb } from '../../core/cluster/lb/random.js';

function hosts(n: number, weighted: boolean): Host[] {
  return Array.from({ length: n }, (_, i) => new Host(`10.0.${i >> 8}.${i & 255}`, 8080, '', weighted ? 1 + (i % 5) : 1, i));
}

// LEAST_REQUEST reads a shared gauge per host; a typed array stands in for the stat block.
const active = new Float64Array(1024);
const activeOf = (h: Host) => active[h.statIndex];
for (let i = 0; i < active.length; i++) active[i] = i % 7;

const policies: readonly (readonly [string, () => LoadBalancer])[] = [
  ['ROUND_ROBIN', () => new RoundRobinLb()],
  ['LEAST_REQUEST', () => new LeastRequestLb(2, activeOf)],
  ['RANDOM', () => new RandomLb()],
];

let sink = 0;
const bench = new Bench({ time: 300 });
for (const [name, make] of policies) {
  for (const n of [3, 100]) {
    for (const weighted of [false, true]) {
      if (weighted && name === 'RANDOM') continue; // Envoy's RANDOM ignores weights: same path as equal
      const lb = make();
      lb.setHosts(hosts(n, weighted));
      if (lb.choose() === null) throw new Error(`${name}: no host`);
      bench.add(`${name}, ${n} hosts, ${weighted ? 'weights 1..5' : 'equal weights'}`, () => {
        sink += lb.choose()!.port;
      });
    }
  }
}

await bench.run();
console.table(bench.table());
if (sink === 0) console.log('unreachable');
