// TimerWheel: the worker's single-native-timer service. Small durations keep wall time bounded; the tests
// assert order and counts, never elapsed time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { TimerWheel } from '../../../workers/runtime/timers.js';
import type { TimerTarget } from '../../../core/http/contracts.js';

const T = { timeout: 10_000 };

/** A clock that can be frozen, so a batch of timers shares one start time (deadline = start + ms). */
function freezableClock(): { now: () => number; freeze(): void; thaw(): void } {
  let frozen: number | null = null;
  return {
    now: () => frozen ?? performance.now(),
    freeze() {
      frozen = performance.now();
    },
    thaw() {
      frozen = null;
    },
  };
}

/** Records fired kinds; resolves `done` once `expected` have fired. */
class Recorder implements TimerTarget {
  readonly fired: number[] = [];
  private resolve: (() => void) | null = null;
  readonly done: Promise<void>;

  constructor(private readonly expected: number) {
    this.done = new Promise((r) => (this.resolve = r));
    if (expected === 0) this.resolve!();
  }

  onTimer(kind: number): void {
    this.fired.push(kind);
    if (this.fired.length === this.expected) this.resolve!();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The wheel's native timer is unref-ed (by design), so something must keep the loop alive while a test waits. */
async function held<V>(p: Promise<V>): Promise<V> {
  const keep = setInterval(() => {}, 1000);
  try {
    return await p;
  } finally {
    clearInterval(keep);
  }
}

test('timers fire in deadline order across durations, FIFO within one', T, async () => {
  const clock = freezableClock();
  const w = new TimerWheel(clock.now);
  const r = new Recorder(7);
  clock.freeze();
  w.schedule(30, r, 30);
  w.schedule(10, r, 10);
  w.schedule(20, r, 20);
  w.schedule(5, r, 5);
  w.schedule(10, r, 11);
  w.schedule(10, r, 12);
  w.schedule(0, r, 0);
  clock.thaw();
  assert.equal(w.size, 7);
  await held(r.done);
  assert.deepEqual(r.fired, [0, 5, 10, 11, 12, 20, 30]);
  assert.equal(w.size, 0);
});

test('a shorter timer set after a longer one re-arms the wheel', T, async () => {
  const w = new TimerWheel();
  const r = new Recorder(2);
  w.schedule(50, r, 50);
  w.schedule(5, r, 5);
  await held(r.done);
  assert.deepEqual(r.fired, [5, 50]);
});

test('fractional and negative durations are rounded and clamped', T, async () => {
  const w = new TimerWheel();
  const r = new Recorder(3);
  w.schedule(-10, r, 1);
  w.schedule(0.4, r, 2);
  w.schedule(2.6, r, 3);
  await held(r.done);
  assert.deepEqual(r.fired, [1, 2, 3]);
});

test('cancel before firing: the timer never fires; cancel after firing is a no-op', T, async () => {
  const w = new TimerWheel();
  const r = new Recorder(2);
  const a = w.schedule(5, r, 1);
  const b = w.schedule(5, r, 2);
  const c = w.schedule(10, r, 3);
  b.cancel();
  b.cancel(); // twice is harmless
  assert.equal(w.size, 2);
  await held(r.done);
  assert.deepEqual(r.fired, [1, 3]);
  a.cancel();
  c.cancel();
  assert.equal(w.size, 0);
  await sleep(20);
  assert.deepEqual(r.fired, [1, 3]);
});

test('cancelling every timer leaves nothing to fire', T, async () => {
  const w = new TimerWheel();
  const r = new Recorder(0);
  const hs = [w.schedule(5, r, 1), w.schedule(5, r, 2), w.schedule(15, r, 3)];
  for (const h of hs) h.cancel();
  assert.equal(w.size, 0);
  await sleep(30);
  assert.deepEqual(r.fired, []);
});

test('a callback may cancel a timer due in the same tick', T, async () => {
  const clock = freezableClock();
  const w = new TimerWheel(clock.now);
  const fired: string[] = [];
  clock.freeze();
  const victim = { onTimer: () => fired.push('victim') };
  const killer = { onTimer: () => (fired.push('killer'), handle.cancel()) };
  w.schedule(5, killer, 0);
  const handle = w.schedule(5, victim, 0);
  const end = new Recorder(1);
  w.schedule(15, end, 0);
  clock.thaw();
  await held(end.done);
  assert.deepEqual(fired, ['killer']);
});

test('many timers of the same and different durations all fire once, in order', T, async () => {
  const clock = freezableClock();
  const w = new TimerWheel(clock.now);
  const n = 2000;
  const r = new Recorder(n);
  clock.freeze();
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = 1 + ((i * 7) % 20); // 1..20 ms, interleaved
    ms.push(d);
    w.schedule(d, r, i);
  }
  clock.thaw();
  assert.equal(w.size, n);
  await held(r.done);
  assert.equal(new Set(r.fired).size, n);
  // Same start time: deadline order is duration order, then scheduling order.
  const want = [...ms.keys()].sort((a, b) => ms[a] - ms[b] || a - b);
  assert.deepEqual(r.fired, want);
  assert.equal(w.size, 0);
});

test('timers scheduled from inside a callback fire later, on a later tick', T, async () => {
  const w = new TimerWheel();
  const fired: string[] = [];
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const target: TimerTarget = {
    onTimer(kind) {
      fired.push(`k${kind}`);
      if (kind === 1) {
        w.schedule(5, target, 2); // same duration as the running one
        w.schedule(10, target, 3); // another duration
        w.schedule(0, target, 4); // due at once: still not inside this tick
      }
      if (fired.length === 4) resolve();
    },
  };
  w.schedule(5, target, 1);
  await held(done);
  assert.deepEqual(fired, ['k1', 'k4', 'k2', 'k3']);
  assert.equal(w.size, 0);
});

test('a 0 ms timer re-armed from its own callback yields to the event loop each time', T, async () => {
  const w = new TimerWheel();
  let turn = 0;
  let spinning = true;
  const spin = () => {
    turn++;
    if (spinning) setImmediate(spin);
  };
  setImmediate(spin);
  const turns: number[] = [];
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const target: TimerTarget = {
    onTimer() {
      turns.push(turn);
      if (turns.length < 5) w.schedule(0, target, 0);
      else resolve();
    },
  };
  w.schedule(0, target, 0);
  await held(done);
  spinning = false;
  for (let i = 1; i < turns.length; i++) assert.ok(turns[i] > turns[i - 1], `turns ${turns}`);
});

test('a throwing callback does not stop the others; the error is reported', T, async () => {
  const errors: unknown[] = [];
  const w = new TimerWheel(undefined, (e) => errors.push(e));
  const r = new Recorder(3);
  const boom = new Error('boom');
  const thrower: TimerTarget = {
    onTimer() {
      throw boom;
    },
  };
  w.schedule(5, r, 1);
  w.schedule(5, thrower, 0);
  w.schedule(5, r, 2);
  w.schedule(8, thrower, 0);
  w.schedule(10, r, 3);
  await held(r.done);
  assert.deepEqual(r.fired, [1, 2, 3]);
  assert.deepEqual(errors, [boom, boom]);
});

test('by default a callback error is rethrown on its own (uncaughtException), after the others ran', T, async () => {
  const saved = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  try {
    const caught = new Promise<unknown>((r) => process.once('uncaughtException', r));
    const w = new TimerWheel();
    const r = new Recorder(1);
    const boom = new Error('default boom');
    w.schedule(5, { onTimer: () => { throw boom; } }, 0);
    w.schedule(5, r, 1);
    assert.equal(await held(caught), boom);
    await held(r.done);
    assert.deepEqual(r.fired, [1]);
  } finally {
    process.removeAllListeners('uncaughtException');
    for (const l of saved) process.on('uncaughtException', l);
  }
});

test('many cancels are compacted: size counts only live timers', T, async () => {
  const w = new TimerWheel();
  const r = new Recorder(0);
  const hs = [];
  for (let i = 0; i < 3000; i++) hs.push(w.schedule(60_000, r, i));
  for (let i = 0; i < 2990; i++) hs[i].cancel();
  assert.equal(w.size, 10);
  // The next schedule of that duration compacts (dead entries outnumber live ones); size is unchanged.
  const extra = w.schedule(60_000, r, -1);
  assert.equal(w.size, 11);
  for (let i = 2990; i < 3000; i++) hs[i].cancel();
  // Cancelling a compacted-away entry again is still a no-op.
  hs[0].cancel();
  assert.equal(w.size, 1);
  extra.cancel();
  assert.equal(w.size, 0);
  // The wheel still works after compaction.
  const r2 = new Recorder(2);
  w.schedule(60_000, r2, 9).cancel();
  w.schedule(5, r2, 1);
  w.schedule(10, r2, 2);
  await held(r2.done);
  assert.deepEqual(r2.fired, [1, 2]);
  assert.deepEqual(r.fired, []);
});

test('a pending wheel does not keep the process alive (the native timer is unref-ed)', T, async () => {
  const url = new URL('../../../workers/runtime/timers.js', import.meta.url).href;
  const code = `import { TimerWheel } from ${JSON.stringify(url)};
    new TimerWheel().schedule(600000, { onTimer() { process.exitCode = 3; } }, 0);`;
  // Exits on its own long before the 10-minute timer (killed after 8 s otherwise).
  const { code: exit, signal } = await new Promise<{ code: number | null; signal: string | null }>((resolve, reject) => {
    const child = execFile(process.execPath, ['--input-type=module', '-e', code], { timeout: 8000 }, (err) => {
      if (err && err.killed) reject(new Error('child kept alive by the wheel'));
    });
    child.on('exit', (c, s) => resolve({ code: c, signal: s }));
  });
  assert.equal(signal, null);
  assert.equal(exit, 0);
});
