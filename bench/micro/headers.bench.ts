// Micro-benchmark: request header rewriting as the exchange does it per request: hop-by-hop
// stripping, then route-level mutations (remove + add with each append action) on a typical
// 12-header browser request. Run: npx tsc -p tsconfig.json && node dist/bench/micro/headers.bench.js

import { Bench } from 'tinybench';
import { applyMutations, stripRequestHopByHop, type CompiledHeaderOption, type CompiledMutations } from '../../core/http/headers.js';

const REQUEST: readonly string[] = [
  'host', 'shop.example.com',
  'user-agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  'accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-language', 'en-GB,en;q=0.9',
  'accept-encoding', 'gzip, deflate, br',
  'connection', 'keep-alive',
  'keep-alive', 'timeout=5',
  'cookie', 'session=3f1c9a; theme=dark; ab=variant-b',
  'referer', 'https://shop.example.com/cart',
  'x-forwarded-for', '203.0.113.9',
  'x-request-id', '5b7f0d7e-7d4a-4e43-9c39-0f0c2f9e8a11',
  'te', 'trailers',
];

function opt(key: string, value: string, appendAction: CompiledHeaderOption['appendAction']): CompiledHeaderOption {
  return { key, literal: value, fn: null, appendAction, keepEmptyValue: false };
}

const routeMutations: CompiledMutations = {
  remove: ['cookie', 'x-internal-debug'],
  add: [
    opt('x-route', 'shop-frontend', 'APPEND_IF_EXISTS_OR_ADD'),
    opt('x-request-id', 'ignored-when-present', 'ADD_IF_ABSENT'),
    opt('x-forwarded-proto', 'https', 'OVERWRITE_IF_EXISTS_OR_ADD'),
    opt('accept-language', 'en-GB', 'OVERWRITE_IF_EXISTS'),
  ],
};
const fnMutations: CompiledMutations = {
  remove: [],
  add: [{ key: 'x-client', literal: null, fn: (ctx) => (ctx as { ip: string }).ip, appendAction: 'APPEND_IF_EXISTS_OR_ADD', keepEmptyValue: false }],
};
const ctx = { ip: '203.0.113.9' };

// The exchange rewrites its own copy of the decoded headers; copying is part of each iteration.
let sink = 0;
const bench = new Bench({ time: 300 });
bench
  .add('copy only (baseline)', () => {
    const h = REQUEST.slice();
    sink += h.length;
  })
  .add('stripRequestHopByHop', () => {
    const h = REQUEST.slice();
    stripRequestHopByHop(h);
    sink += h.length;
  })
  .add('stripRequestHopByHop + applyMutations (2 removes, 4 adds)', () => {
    const h = REQUEST.slice();
    stripRequestHopByHop(h);
    applyMutations(h, routeMutations, ctx);
    sink += h.length;
  })
  .add('strip + route mutations + a %VAR% formatter', () => {
    const h = REQUEST.slice();
    stripRequestHopByHop(h);
    applyMutations(h, routeMutations, ctx);
    applyMutations(h, fnMutations, ctx);
    sink += h.length;
  });

await bench.run();
console.table(bench.table());
if (sink === 0) console.log('unreachable');
