// Flat header helpers, Envoy's header mutations (HeaderParser::evaluateHeaders) and hop-by-hop stripping.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ENVOY_CONTROL_HEADERS,
  NO_MUTATIONS,
  applyMutations,
  hGet,
  hGetJoined,
  hHas,
  hRemove,
  hSet,
  stripRequestHopByHop,
  stripResponseHopByHop,
  type CompiledHeaderOption,
  type CompiledMutations,
} from '../../../core/http/headers.js';
import type { HeaderValueOption } from '../../../core/config/types.js';

type Action = HeaderValueOption['appendAction'];

function opt(key: string, value: string, appendAction: Action = 'APPEND_IF_EXISTS_OR_ADD', keepEmptyValue = false): CompiledHeaderOption {
  return { key, literal: value, fn: null, appendAction, keepEmptyValue };
}

function muts(add: CompiledHeaderOption[], remove: string[] = []): CompiledMutations {
  return { add, remove };
}

describe('hGet / hHas / hGetJoined', () => {
  const h = ['host', 'a.example', 'accept', 'text/html', 'accept', '*/*', 'x-empty', ''];

  test('first value, presence, all values joined with a comma', () => {
    assert.equal(hGet(h, 'accept'), 'text/html');
    assert.equal(hGet(h, 'x-empty'), '');
    assert.equal(hGet(h, 'missing'), undefined);
    assert.equal(hHas(h, 'x-empty'), true);
    assert.equal(hHas(h, 'missing'), false);
    assert.equal(hGetJoined(h, 'accept'), 'text/html,*/*');
    assert.equal(hGetJoined(h, 'host'), 'a.example');
    assert.equal(hGetJoined(h, 'missing'), undefined);
  });

  test('names are matched exactly (the lists hold lower-case names)', () => {
    assert.equal(hGet(h, 'Host'), undefined);
  });

  test('values are never mistaken for names', () => {
    assert.equal(hGet(['a', 'host', 'host', 'x'], 'host'), 'x');
    assert.equal(hHas(['a', 'b'], 'b'), false);
  });
});

describe('hRemove', () => {
  test('removes every entry of the name, keeps the order of the rest', () => {
    const h = ['a', '1', 'b', '2', 'a', '3', 'c', '4', 'a', '5'];
    assert.equal(hRemove(h, 'a'), true);
    assert.deepEqual(h, ['b', '2', 'c', '4']);
    assert.equal(hRemove(h, 'a'), false);
    assert.deepEqual(h, ['b', '2', 'c', '4']);
  });

  test('removing the only header leaves an empty list', () => {
    const h = ['a', '1'];
    hRemove(h, 'a');
    assert.deepEqual(h, []);
  });
});

describe('hSet', () => {
  test('replaces the first entry in place and drops later duplicates', () => {
    const h = ['a', '1', 'b', '2', 'a', '3', 'c', '4'];
    hSet(h, 'a', 'x');
    assert.deepEqual(h, ['a', 'x', 'b', '2', 'c', '4']);
  });

  test('appends when absent', () => {
    const h = ['a', '1'];
    hSet(h, 'b', '2');
    assert.deepEqual(h, ['a', '1', 'b', '2']);
  });
});

describe('applyMutations', () => {
  test('APPEND_IF_EXISTS_OR_ADD appends, whether or not the header exists', () => {
    const h = ['x-a', 'old'];
    applyMutations(h, muts([opt('x-a', 'new'), opt('x-b', 'b')]), null);
    assert.deepEqual(h, ['x-a', 'old', 'x-a', 'new', 'x-b', 'b']);
  });

  test('ADD_IF_ABSENT adds only a missing header', () => {
    const h = ['x-a', 'old'];
    applyMutations(h, muts([opt('x-a', 'new', 'ADD_IF_ABSENT'), opt('x-b', 'b', 'ADD_IF_ABSENT')]), null);
    assert.deepEqual(h, ['x-a', 'old', 'x-b', 'b']);
  });

  test('OVERWRITE_IF_EXISTS_OR_ADD replaces every value (the header moves to the end) or adds it', () => {
    const h = ['x-a', '1', 'host', 'h', 'x-a', '2'];
    applyMutations(h, muts([opt('x-a', 'new', 'OVERWRITE_IF_EXISTS_OR_ADD'), opt('x-b', 'b', 'OVERWRITE_IF_EXISTS_OR_ADD')]), null);
    assert.deepEqual(h, ['host', 'h', 'x-a', 'new', 'x-b', 'b']);
  });

  test('OVERWRITE_IF_EXISTS replaces an existing header and never adds one', () => {
    const h = ['x-a', '1', 'x-a', '2', 'host', 'h'];
    applyMutations(h, muts([opt('x-a', 'new', 'OVERWRITE_IF_EXISTS'), opt('x-b', 'b', 'OVERWRITE_IF_EXISTS')]), null);
    assert.deepEqual(h, ['host', 'h', 'x-a', 'new']);
  });

  test('an empty value is skipped unless keep_empty_value, for every action', () => {
    for (const action of ['APPEND_IF_EXISTS_OR_ADD', 'ADD_IF_ABSENT', 'OVERWRITE_IF_EXISTS_OR_ADD'] as const) {
      const skipped = ['x-a', 'keep'];
      applyMutations(skipped, muts([opt('x-e', '', action)]), null);
      assert.deepEqual(skipped, ['x-a', 'keep'], action);
      const kept = ['x-a', 'keep'];
      applyMutations(kept, muts([opt('x-e', '', action, true)]), null);
      assert.deepEqual(kept, ['x-a', 'keep', 'x-e', ''], action);
    }
    const over = ['x-a', 'old'];
    applyMutations(over, muts([opt('x-a', '', 'OVERWRITE_IF_EXISTS')]), null);
    assert.deepEqual(over, ['x-a', 'old']);
    applyMutations(over, muts([opt('x-a', '', 'OVERWRITE_IF_EXISTS', true)]), null);
    assert.deepEqual(over, ['x-a', '']);
  });

  test('removals come first: a removed header can be added back in the same mutation', () => {
    const h = ['x-a', 'old', 'x-r', 'gone', 'x-keep', 'k'];
    applyMutations(h, muts([opt('x-a', 'new', 'ADD_IF_ABSENT'), opt('x-r', 'back')], ['x-a', 'x-r', 'x-missing']), null);
    assert.deepEqual(h, ['x-keep', 'k', 'x-a', 'new', 'x-r', 'back']);
  });

  test('conditions are judged on the headers before any addition (Envoy evaluates, then applies)', () => {
    // ADD_IF_ABSENT does not see the APPEND before it; OVERWRITE_IF_EXISTS does not see the ADD.
    const h = ['host', 'h'];
    applyMutations(
      h,
      muts([opt('x-a', '1'), opt('x-a', '2', 'ADD_IF_ABSENT'), opt('x-b', 'b', 'OVERWRITE_IF_EXISTS'), opt('x-b', 'b0', 'ADD_IF_ABSENT')]),
      null,
    );
    assert.deepEqual(h, ['host', 'h', 'x-a', '1', 'x-a', '2', 'x-b', 'b0']);
  });

  test('overwrites are applied before appends, whatever the config order', () => {
    const h = ['x-a', 'orig'];
    applyMutations(h, muts([opt('x-a', 'appended'), opt('x-a', 'set', 'OVERWRITE_IF_EXISTS_OR_ADD')]), null);
    assert.deepEqual(h, ['x-a', 'set', 'x-a', 'appended']);
  });

  test('two overwrites of one header: the last one wins', () => {
    const h = ['x-a', 'orig'];
    applyMutations(h, muts([opt('x-a', 'one', 'OVERWRITE_IF_EXISTS_OR_ADD'), opt('x-a', 'two', 'OVERWRITE_IF_EXISTS')]), null);
    assert.deepEqual(h, ['x-a', 'two']);
  });

  test('formatted values are computed from the context, once per option', () => {
    let calls = 0;
    const fn = (ctx: unknown) => {
      calls++;
      return `client=${(ctx as { ip: string }).ip}`;
    };
    const empty = () => '';
    const h: string[] = [];
    applyMutations(
      h,
      muts([
        { key: 'x-client', literal: null, fn, appendAction: 'APPEND_IF_EXISTS_OR_ADD', keepEmptyValue: false },
        { key: 'x-none', literal: null, fn: empty, appendAction: 'APPEND_IF_EXISTS_OR_ADD', keepEmptyValue: false },
      ]),
      { ip: '10.1.1.1' },
    );
    assert.deepEqual(h, ['x-client', 'client=10.1.1.1']);
    assert.equal(calls, 1);
  });

  test('no mutations: the list is untouched; repeated calls do not leak state', () => {
    const h = ['a', '1'];
    applyMutations(h, NO_MUTATIONS, null);
    assert.deepEqual(h, ['a', '1']);
    const big = muts(Array.from({ length: 10 }, (_, i) => opt(`x-${i}`, `${i}`, 'ADD_IF_ABSENT')));
    const h1: string[] = [];
    applyMutations(h1, big, null);
    assert.equal(h1.length, 20);
    const h2 = ['x-9', 'present'];
    applyMutations(h2, muts([opt('x-0', 'zero', 'OVERWRITE_IF_EXISTS')]), null);
    assert.deepEqual(h2, ['x-9', 'present']);
  });
});

describe('stripRequestHopByHop', () => {
  test('drops connection-specific headers and framing, keeps the rest in order', () => {
    const h = [
      'host', 'a.example',
      'connection', 'keep-alive, x-foo',
      'keep-alive', 'timeout=5',
      'proxy-connection', 'keep-alive',
      'transfer-encoding', 'chunked',
      'upgrade', 'h2c',
      'http2-settings', 'AAMAAABkAAQAAP__',
      'content-length', '12',
      'accept', '*/*',
      'x-foo', 'kept',
    ];
    stripRequestHopByHop(h);
    assert.deepEqual(h, ['host', 'a.example', 'accept', '*/*', 'x-foo', 'kept']);
  });

  test('te: trailers survives; other te values are dropped', () => {
    const keep = ['te', 'trailers', 'a', '1'];
    stripRequestHopByHop(keep);
    assert.deepEqual(keep, ['te', 'trailers', 'a', '1']);
    const drop = ['te', 'gzip', 'a', '1', 'te', 'deflate;q=0.5'];
    stripRequestHopByHop(drop);
    assert.deepEqual(drop, ['a', '1']);
  });

  test('te listing trailers among other codings is reduced to exactly "trailers"', () => {
    const h = ['te', 'deflate, Trailers ', 'a', '1'];
    stripRequestHopByHop(h);
    assert.deepEqual(h, ['te', 'trailers', 'a', '1']);
    const lookalike = ['te', 'trailersx, xtrailers'];
    stripRequestHopByHop(lookalike);
    assert.deepEqual(lookalike, []);
  });

  test('a typical 12-header request loses exactly its hop-by-hop headers', () => {
    const h = [
      'host', 'shop.example.com',
      'user-agent', 'Mozilla/5.0',
      'accept', 'text/html',
      'accept-language', 'en-GB,en;q=0.9',
      'accept-encoding', 'gzip, br',
      'connection', 'keep-alive',
      'keep-alive', 'timeout=5',
      'cookie', 'a=1; b=2',
      'te', 'trailers',
      'x-forwarded-for', '203.0.113.9',
      'x-request-id', 'abc',
      'content-length', '0',
    ];
    stripRequestHopByHop(h);
    assert.equal(h.length / 2, 9);
    assert.equal(hHas(h, 'connection') || hHas(h, 'keep-alive') || hHas(h, 'content-length'), false);
    assert.equal(hGet(h, 'te'), 'trailers');
  });
});

describe('stripResponseHopByHop', () => {
  test('drops hop-by-hop and framing headers; te is not special on responses', () => {
    const h = ['content-type', 'text/plain', 'connection', 'close', 'transfer-encoding', 'chunked', 'content-length', '5', 'te', 'trailers', 'x-a', '1'];
    stripResponseHopByHop(h);
    assert.deepEqual(h, ['content-type', 'text/plain', 'te', 'trailers', 'x-a', '1']);
  });
});

test('ENVOY_CONTROL_HEADERS lists the headers external requests may not set', () => {
  for (const n of ['x-envoy-retry-on', 'x-envoy-max-retries', 'x-envoy-upstream-rq-timeout-ms', 'x-envoy-internal']) {
    assert.ok(ENVOY_CONTROL_HEADERS.includes(n), n);
  }
  for (const n of ENVOY_CONTROL_HEADERS) assert.equal(n, n.toLowerCase());
});
