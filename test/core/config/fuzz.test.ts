// Property-based: random and mutated bootstraps never crash or hang the loader; every outcome is a
// frozen snapshot or a list of errors that each name a field path (or the document).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import YAML from 'yaml';
import { loadConfig } from '../../../core/config/load.js';
import { ROOT } from '../../helpers/nuncio.js';

const env = { readFile: () => null, getEnv: () => undefined };
const seeds = ['config/front-envoy.yaml', 'config/service-envoy.yaml'].map((f) => YAML.parse(fs.readFileSync(path.join(ROOT, f), 'utf8')) as unknown);

function check(text: string): void {
  const r = loadConfig([{ name: 'fuzz.yaml', text }], env);
  if (r.ok) {
    assert.ok(Object.isFrozen(r.snapshot));
  } else {
    assert.ok(r.errors.length > 0);
    for (const e of r.errors) assert.equal(typeof e, 'string');
  }
}

/** Every path in a JSON tree, for mutation. */
function paths(v: unknown, p: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(p);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...p, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...p, k], out);
  return out;
}

function setAt(root: unknown, p: (string | number)[], value: unknown): unknown {
  if (p.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let cur = copy;
  for (let i = 0; i < p.length - 1; i++) cur = cur[p[i]] as Record<string | number, unknown>;
  cur[p[p.length - 1]] = value;
  return copy;
}

test('arbitrary text never crashes the loader', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 400 }), (s) => check(s)),
    { numRuns: 400 },
  );
});

test('mutated seed configs: any field replaced by any JSON value gives a snapshot or path-named errors', () => {
  const values = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true }),
    fc.string({ maxLength: 20 }),
    fc.constantFrom('0.25s', '-1s', 'ROUND_ROBIN', 'strict_dns', '127.0.0.1', '', '*', '/'),
    fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
  );
  for (const seed of seeds) {
    const all = paths(seed);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: all.length - 1 }), values, (i, v) => {
        const mutated = setAt(seed, all[i], v);
        const r = loadConfig([{ name: 'fuzz.json', text: JSON.stringify(mutated) ?? 'null' }], env);
        // Every error says where: the document, or a field path such as static_resources.clusters[0].type.
        if (!r.ok) for (const e of r.errors) assert.ok(e.indexOf(': ') > 0 && !e.startsWith(': '), e);
      }),
      { numRuns: 300 },
    );
  }
});

test('unknown keys inserted anywhere in a message are named in the error', () => {
  const seed = seeds[1];
  const objects = paths(seed).filter((p) => {
    let cur: unknown = seed;
    for (const k of p) cur = (cur as Record<string | number, unknown>)[k];
    return cur !== null && typeof cur === 'object' && !Array.isArray(cur);
  });
  fc.assert(
    fc.property(fc.integer({ min: 0, max: objects.length - 1 }), fc.stringMatching(/^zz_[a-z]{1,8}$/), (i, key) => {
      const p = objects[i];
      let target: unknown = seed;
      for (const k of p) target = (target as Record<string | number, unknown>)[k];
      const mutated = setAt(seed, p, { ...(target as object), [key]: 1 });
      const r = loadConfig([{ name: 'fuzz.json', text: JSON.stringify(mutated) }], env);
      // Inside google.protobuf.Struct (runtime layers, metadata) any key is allowed.
      if (r.ok) return;
      assert.ok(r.errors.some((e) => e.includes(`${key}: unknown field`)), r.errors.join('\n'));
    }),
    { numRuns: 200 },
  );
});
