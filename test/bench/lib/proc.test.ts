import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStat, parseStatus, processTree, readStat } from '../../../bench/lib/proc.js';

test('parseStat copes with spaces and parentheses in the command name', () => {
  const line = '4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 3 4 20 0 7 0 100 1000 50 18446744073709551615';
  const s = parseStat(line);
  assert.ok(s !== null);
  assert.equal(s.pid, 4242);
  assert.equal(s.comm, 'my (odd) name');
  assert.equal(s.ppid, 1);
  assert.equal(s.cpuTicks, 325);
  assert.equal(s.reapedTicks, 7);
  assert.equal(s.threads, 7);
});

test('parseStatus reads VmRSS and VmHWM', () => {
  assert.deepEqual(parseStatus('Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n'), { rssKb: 102400, hwmKb: 204800 });
});

test('this process: readStat and processTree', () => {
  const s = readStat(process.pid);
  assert.ok(s !== null && s.pid === process.pid && s.threads >= 1);
  assert.deepEqual(processTree(process.pid)[0], process.pid);
});
