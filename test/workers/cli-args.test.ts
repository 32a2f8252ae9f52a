// Envoy-compatible flag parsing: forms, defaults, and errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, requestedRuntime } from '../../workers/cli-args.js';

test('defaults follow Envoy', () => {
  const r = parseArgs(['-c', 'x.yaml'], 8);
  assert.equal(r.kind, 'run');
  if (r.kind !== 'run') return;
  assert.equal(r.options.configPath, 'x.yaml');
  assert.equal(r.options.mode, 'serve');
  assert.equal(r.options.concurrency, 8);
  assert.equal(r.options.logLevel, 'info');
  assert.equal(r.options.drainTimeS, 600);
  assert.equal(r.options.parentShutdownTimeS, 900);
  assert.equal(r.runtime, 'node');
});

test('both --flag value and --flag=value, short forms, hot-restart flags accepted', () => {
  const r = parseArgs(['--config-path=a.yaml', '--config-yaml', 'admin: {}', '--mode', 'validate', '--concurrency=0', '-l', 'debug', '--service-cluster', 'front-proxy', '--service-node=n1', '--drain-time-s', '5', '--disable-hot-restart', '--base-id', '3', '--restart-epoch', '0'], 2);
  assert.equal(r.kind, 'run');
  if (r.kind !== 'run') return;
  assert.equal(r.options.configPath, 'a.yaml');
  assert.equal(r.options.configYaml, 'admin: {}');
  assert.equal(r.options.mode, 'validate');
  assert.equal(r.options.concurrency, 1, '--concurrency 0 means one worker, as Envoy');
  assert.equal(r.options.logLevel, 'debug');
  assert.equal(r.options.serviceCluster, 'front-proxy');
  assert.equal(r.options.serviceNode, 'n1');
  assert.equal(r.options.drainTimeS, 5);
  assert.equal(r.options.disableHotRestart, true);
});

test('help, version and errors', () => {
  assert.equal(parseArgs(['--help']).kind, 'help');
  assert.equal(parseArgs(['-h']).kind, 'help');
  assert.equal(parseArgs(['--version']).kind, 'version');
  const bad = [
    [['-c', 'x', '--mode', 'run'], /--mode/],
    [['-c', 'x', '-l', 'loud'], /--log-level/],
    [['-c', 'x', '--concurrency', 'two'], /non-negative integer/],
    [['-c', 'x', '--bogus'], /unknown argument: --bogus/],
    [['-c'], /missing value for -c/],
    [[], /no configuration given/],
  ] as const;
  for (const [argv, re] of bad) {
    const r = parseArgs(argv);
    assert.equal(r.kind, 'error', argv.join(' '));
    if (r.kind === 'error') assert.match(r.message, re);
  }
});

test('--runtime: defaults to the runtime running the CLI; requestedRuntime finds it before parsing', () => {
  const onBun = parseArgs(['-c', 'x.yaml'], 2, 'bun');
  assert.equal(onBun.kind === 'run' && onBun.runtime, 'bun');
  const asked = parseArgs(['-c', 'x.yaml', '--runtime=node'], 2, 'bun');
  assert.equal(asked.kind === 'run' && asked.runtime, 'node');
  assert.deepEqual(parseArgs(['-c', 'x.yaml', '--runtime', 'deno'], 2), { kind: 'error', message: '--runtime: expected node or bun, got "deno"' });
  assert.equal(requestedRuntime(['--runtime', 'bun', '--version']), 'bun');
  assert.equal(requestedRuntime(['--version', '--runtime=node']), 'node');
  assert.equal(requestedRuntime(['-c', 'x.yaml']), null);
  assert.equal(requestedRuntime(['--runtime', 'deno']), null);
  // A flag's value is not taken for --runtime.
  assert.equal(requestedRuntime(['-c', '--runtime', '--service-node', 'n']), null);
});
