// Command line of `node dist/bench/run.js` and the durations and sizes each mode uses: the full run
// (about 10 minutes on a 2-core machine) and --quick (a smoke test of every row in about a minute
// and a half).
import os from 'node:os';
import path from 'node:path';
import { CAN_PIN } from './spawn.js';

export const SCENARIOS = ['seed', 'front', 'connections', 'workers', 'micro', 'soak'] as const;
/** What a plain `make bench` runs: the soak (3 minutes of restarts and reloads) is asked for by name. */
export const DEFAULT_SCENARIOS: readonly Scenario[] = ['seed', 'front', 'connections', 'workers', 'micro'];
export type Scenario = (typeof SCENARIOS)[number];

export interface Plan {
  readonly quick: boolean;
  readonly scenarios: readonly Scenario[];
  /** Where results/<date>.json, latest.md and latest.svg go. */
  readonly outDir: string;
  /** Where peer configs and logs go. */
  readonly runDir: string;
  /** One measured closed-loop run, s. */
  readonly satS: number;
  readonly satRepeats: number;
  /** Unmeasured closed-loop run before the measured ones, s (0 = none). */
  readonly satWarmupS: number;
  /** One open-loop run at a fixed rate, s (after latWarmupS unrecorded). */
  readonly latS: number;
  readonly latWarmupS: number;
  /** How long the open-loop generator waits for in-flight requests after the last was due, ms. */
  readonly drainMs: number;
  /** Keep-alive connections of the load generators in "front" and "seed". */
  readonly connections: number;
  /** Idle connections opened per peer in "connections". */
  readonly idleConnections: number;
  /** Connections in "workers" (more, so the kernel has something to spread). */
  readonly workersConnections: number;
  /** A full run into bench/results also refreshes the results section of bench/README.md. */
  readonly copyToReadme: boolean;
  /** CPU for the proxy under test, and for load generator + upstream; undefined = not pinned. */
  readonly proxyCpus?: string;
  readonly loadCpus?: string;
}

export const USAGE = `usage: node dist/bench/run.js [--scenario seed|front|connections|workers|micro|soak[,...]] [--quick]
                            [--duration <s>] [--out <dir>]
  --scenario  run only these scenarios (default: all but soak; --quick: all)
  --quick     every row very briefly (smoke test)
  --duration  seconds of one measured saturation run (latency runs take twice this);
              default 3 (latency 6), quick 1 (latency 0.5)
  --out       directory for <date>.json, latest.md, latest.svg (default bench/results,
              with --quick .run/bench/quick-results);
              peer configs and logs then go to <out>/logs/ instead of .run/bench/
`;

export function parsePlan(argv: readonly string[], root: string, date: string): Plan | string {
  let quick = false;
  let scenarios: Scenario[] = [...DEFAULT_SCENARIOS];
  let scenariosGiven = false;
  let duration: number | null = null;
  let outDir: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const flag = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const value = (): string => {
      if (eq > 0) return a.slice(eq + 1);
      if (i + 1 >= argv.length) throw new Error(`missing value for ${flag}`);
      return argv[++i];
    };
    try {
      if (flag === '--quick') quick = true;
      else if (flag === '--scenario') {
        const list = value().split(',').filter((s) => s !== '');
        for (const s of list) if (!(SCENARIOS as readonly string[]).includes(s)) return `unknown scenario "${s}"\n${USAGE}`;
        scenarios = SCENARIOS.filter((s) => list.includes(s));
        scenariosGiven = true;
      } else if (flag === '--duration') {
        duration = Number(value());
        if (!(duration >= 1 && duration <= 600)) return `--duration: expected 1..600 seconds\n${USAGE}`;
      } else if (flag === '--out') outDir = path.resolve(value());
      else if (flag === '-h' || flag === '--help') return USAGE;
      else return `unknown argument ${a}\n${USAGE}`;
    } catch (e) {
      return `${(e as Error).message}\n${USAGE}`;
    }
  }
  const outGiven = outDir !== null;
  // The smoke test covers the soak too, briefly.
  if (quick && !scenariosGiven) scenarios = [...SCENARIOS];
  // A smoke run must not replace the committed results of a real one.
  if (outDir === null) outDir = quick ? path.join(root, '.run/bench/quick-results') : path.join(root, 'bench/results');
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const pin = CAN_PIN && cores >= 2;
  const satS = duration ?? (quick ? 1 : 3);
  return {
    quick,
    scenarios,
    outDir,
    // With --out (the smoke test's temporary directory), configs and logs go there too.
    runDir: outGiven ? path.join(outDir, 'logs', date) : path.join(root, '.run/bench', date),
    satS,
    satRepeats: quick ? 1 : 3,
    satWarmupS: quick ? 0 : 2,
    latS: duration !== null ? satS * 2 : quick ? 0.5 : 6,
    latWarmupS: quick ? 0.2 : 1,
    drainMs: quick ? 1000 : 3000,
    connections: quick ? 10 : 50,
    idleConnections: quick ? 200 : 10_000,
    workersConnections: quick ? 10 : 100,
    copyToReadme: !quick && !outGiven && DEFAULT_SCENARIOS.every((s) => scenarios.includes(s)),
    proxyCpus: pin ? '0' : undefined,
    loadCpus: pin ? '1' : undefined,
  };
}
