// Envoy-compatible command line: the flags operators use, `--flag value` and `--flag=value` forms,
// Envoy's defaults, and the hot-restart flags Envoy users pass out of habit (accepted, no effect).
import os from 'node:os';
import type { CommandLineOptions } from './admin/context.js';
import { IS_BUN } from './runtime/bun.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warning', 'warn', 'error', 'critical', 'off'] as const;

export type CliResult =
  | { kind: 'run'; options: CommandLineOptions; runtime: 'node' | 'bun' }
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'error'; message: string };

export const USAGE = `USAGE: nuncio [options]

nuncio: an Envoy-compatible edge proxy (reads Envoy v3 static bootstrap YAML/JSON).

Options:
  -c, --config-path <path>        Path to a bootstrap file (.yaml, .yml or .json)
  --config-yaml <yaml>            Inline YAML, merged over --config-path
  --mode <serve|validate|init_only>
                                  serve (default), or validate the config and exit
  --concurrency <n>               Worker threads (default: number of cores; 0 means 1)
  --service-cluster <name>        Local service cluster name (overrides node.cluster)
  --service-node <name>           Local service node name (overrides node.id)
  --service-zone <name>           Local service zone (overrides node.locality.zone)
  -l, --log-level <level>         trace|debug|info|warning|warn|error|critical|off (default info)
  --component-log-level <list>    Comma-separated component:level pairs
  --log-path <path>               Write logs to this file instead of stderr
  --log-format <format>           Log line format
  --drain-time-s <s>              Time to drain connections on shutdown (default 600)
  --parent-shutdown-time-s <s>    Accepted for compatibility (default 900)
  --drain-strategy <gradual|immediate>
  --http1-engine <uws|node>       Engine for codec HTTP1 listeners (default uws, uWebSockets.js;
                                  node: nuncio's HTTP/1.1 server, for clients uWS cannot take)
  --runtime <node|bun>            JavaScript runtime to run on (default: the one running this;
                                  the other one is started with the same arguments)
  --allow-unknown-static-fields   Ignore (and count) unknown fields in the bootstrap
  --base-id, --use-dynamic-base-id, --restart-epoch, --disable-hot-restart,
  --local-address-ip-version, --file-flush-interval-msec
                                  Accepted for compatibility with Envoy's command line
  -h, --help                      Show this help
  --version                       Show the version
`;

const VALUE_FLAGS: Record<string, string> = {
  '-c': 'configPath',
  '--config-path': 'configPath',
  '--config-yaml': 'configYaml',
  '--mode': 'mode',
  '--concurrency': 'concurrency',
  '--service-cluster': 'serviceCluster',
  '--service-node': 'serviceNode',
  '--service-zone': 'serviceZone',
  '-l': 'logLevel',
  '--log-level': 'logLevel',
  '--component-log-level': 'componentLogLevel',
  '--log-path': 'logPath',
  '--log-format': 'logFormat',
  '--drain-time-s': 'drainTimeS',
  '--parent-shutdown-time-s': 'parentShutdownTimeS',
  '--drain-strategy': 'drainStrategy',
  '--base-id': 'baseId',
  '--restart-epoch': 'restartEpoch',
  '--local-address-ip-version': 'localAddressIpVersion',
  '--file-flush-interval-msec': 'fileFlushIntervalMsec',
  '--runtime': 'runtime',
  '--http1-engine': 'http1Engine',
};

const BOOL_FLAGS: Record<string, string> = {
  '--disable-hot-restart': 'disableHotRestart',
  '--use-dynamic-base-id': 'useDynamicBaseId',
  '--allow-unknown-static-fields': 'allowUnknownStaticFields',
  '--reject-unknown-dynamic-fields': 'rejectUnknownDynamicFields',
  '--ignore-unknown-dynamic-fields': 'ignoreUnknownDynamicFields',
  '--disable-extensions': '',
};

/** The runtime named by --runtime (last one wins), or null when none (or an invalid one) is given. */
export function requestedRuntime(argv: readonly string[]): 'node' | 'bun' | null {
  let v: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runtime') v = argv[++i] ?? null;
    else if (a.startsWith('--runtime=')) v = a.slice('--runtime='.length);
    // Values of other flags never look like --runtime; skip them anyway so "-c --runtime" stays a path.
    else if (a in VALUE_FLAGS) i++;
  }
  return v === 'node' || v === 'bun' ? v : null;
}

function nonNegInt(v: string, flag: string): number | string {
  if (!/^\d+$/.test(v)) return `${flag}: expected a non-negative integer, got "${v}"`;
  return Number(v);
}

export function parseArgs(
  argv: readonly string[],
  cores = os.availableParallelism?.() ?? os.cpus().length,
  currentRuntime: 'node' | 'bun' = IS_BUN ? 'bun' : 'node',
): CliResult {
  const raw: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') return { kind: 'help', text: USAGE };
    if (a === '--version') return { kind: 'version' };
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    if (flag in BOOL_FLAGS) {
      if (BOOL_FLAGS[flag]) raw[BOOL_FLAGS[flag]] = eq > 0 ? a.slice(eq + 1) !== 'false' : true;
      continue;
    }
    const key = VALUE_FLAGS[flag];
    if (key === undefined) return { kind: 'error', message: `unknown argument: ${a}\n\n${USAGE}` };
    let value: string;
    if (eq > 0) value = a.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) return { kind: 'error', message: `missing value for ${flag}` };
      value = argv[++i];
    }
    raw[key] = value;
  }
  const str = (k: string, d = ''): string => (typeof raw[k] === 'string' ? (raw[k] as string) : d);
  const mode = str('mode', 'serve');
  if (mode !== 'serve' && mode !== 'validate' && mode !== 'init_only') {
    return { kind: 'error', message: `--mode: expected serve, validate or init_only, got "${mode}"` };
  }
  const logLevel = str('logLevel', 'info');
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    return { kind: 'error', message: `--log-level: expected one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"` };
  }
  const nums: Record<string, number> = {};
  for (const [k, d] of [
    ['concurrency', cores],
    ['drainTimeS', 600],
    ['parentShutdownTimeS', 900],
    ['baseId', 0],
    ['restartEpoch', 0],
    ['fileFlushIntervalMsec', 10000],
  ] as const) {
    if (raw[k] === undefined) nums[k] = d;
    else {
      const n = nonNegInt(str(k), `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
      if (typeof n === 'string') return { kind: 'error', message: n };
      nums[k] = n;
    }
  }
  const drainStrategy = str('drainStrategy', 'gradual');
  if (drainStrategy !== 'gradual' && drainStrategy !== 'immediate') {
    return { kind: 'error', message: `--drain-strategy: expected gradual or immediate, got "${drainStrategy}"` };
  }
  const ipv = str('localAddressIpVersion', 'v4');
  if (ipv !== 'v4' && ipv !== 'v6') return { kind: 'error', message: `--local-address-ip-version: expected v4 or v6, got "${ipv}"` };
  const http1Engine = str('http1Engine', 'uws');
  if (http1Engine !== 'uws' && http1Engine !== 'node') return { kind: 'error', message: `--http1-engine: expected uws or node, got "${http1Engine}"` };
  const runtime = str('runtime', currentRuntime);
  if (runtime !== 'node' && runtime !== 'bun') return { kind: 'error', message: `--runtime: expected node or bun, got "${runtime}"` };
  if (!raw.configPath && !raw.configYaml) {
    return { kind: 'error', message: `no configuration given: use -c <path> and/or --config-yaml <yaml>\n\n${USAGE}` };
  }
  return {
    kind: 'run',
    runtime,
    options: {
      configPath: str('configPath'),
      configYaml: str('configYaml'),
      mode,
      concurrency: Math.max(1, nums.concurrency),
      serviceCluster: str('serviceCluster'),
      serviceNode: str('serviceNode'),
      serviceZone: str('serviceZone'),
      logLevel,
      componentLogLevel: str('componentLogLevel'),
      logPath: str('logPath'),
      logFormat: str('logFormat', '[%Y-%m-%d %T.%e][%t][%l][%n] [%g:%#] %v'),
      drainTimeS: nums.drainTimeS,
      parentShutdownTimeS: nums.parentShutdownTimeS,
      drainStrategy,
      baseId: nums.baseId,
      restartEpoch: nums.restartEpoch,
      disableHotRestart: raw.disableHotRestart === true,
      localAddressIpVersion: ipv,
      fileFlushIntervalMsec: nums.fileFlushIntervalMsec,
      allowUnknownStaticFields: raw.allowUnknownStaticFields === true,
      http1Engine,
    },
  };
}
