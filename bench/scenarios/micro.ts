// Scenario "micro": runs every tinybench file in dist/bench/micro/ in its own process (pinned to the
// proxy's CPU) with micro-preload.js, which collects each task's result and caps each task at 300 ms
// (20 ms with --quick); a file that fails is a failed row with its output.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startProc } from '../lib/spawn.js';
import type { MicroRow, MicroSection, MicroTask } from '../lib/types.js';
import { errMsg, type Ctx } from './measure.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MICRO_DIR = path.join(HERE, '../micro');
const PRELOAD = pathToFileURL(path.join(HERE, 'micro-preload.js')).href;
/** Time budget per task (tinybench's default is 500 ms; some files ask for 1 s). */
const MICRO_FULL_MS = 300;
const MICRO_QUICK_MS = 20;

export function microFiles(): string[] {
  try {
    return fs.readdirSync(MICRO_DIR).filter((f) => f.endsWith('.bench.js')).sort();
  } catch {
    return [];
  }
}

export async function runMicro(ctx: Ctx): Promise<MicroSection> {
  const p = ctx.plan;
  const dir = path.join(p.runDir, 'micro');
  fs.mkdirSync(dir, { recursive: true });
  const rows: MicroRow[] = [];
  for (const file of microFiles()) {
    const name = file.replace(/\.bench\.js$/, '');
    const row: MicroRow = { id: `micro-${name}`, label: name, file: `bench/micro/${name}.bench.ts`, status: 'ok' };
    rows.push(row);
    const out = path.join(dir, `${name}.jsonl`);
    fs.rmSync(out, { force: true });
    ctx.log(`micro ${name}`);
    try {
      const proc = startProc(`micro-${name}`, process.execPath, ['--import', PRELOAD, path.join(MICRO_DIR, file)], {
        cpus: p.proxyCpus,
        logDir: dir,
        env: { ...process.env, NUNCIO_BENCH_MICRO_OUT: out, NUNCIO_BENCH_MICRO_TIME_MS: String(p.quick ? MICRO_QUICK_MS : MICRO_FULL_MS) },
      });
      const timer = setTimeout(() => void proc.stop(1000), p.quick ? 60_000 : 300_000);
      const code = await proc.exited;
      clearTimeout(timer);
      if (code !== 0) throw new Error(`${file} ${proc.exitDescription()}:\n${proc.output().slice(-3000)}`);
      const lines = fs.existsSync(out) ? fs.readFileSync(out, 'utf8').split('\n').filter((l) => l !== '') : [];
      const tasks: MicroTask[] = [];
      const broken: string[] = [];
      for (const l of lines) {
        const t = JSON.parse(l) as Partial<MicroTask> & { name: string; error?: string };
        if (t.error !== undefined) broken.push(`${t.name}: ${t.error}`);
        else tasks.push({ name: t.name, opsPerSec: t.opsPerSec!, meanNs: t.meanNs!, rmePct: t.rmePct!, samples: t.samples! });
      }
      if (tasks.length === 0) throw new Error(`${file} reported no tinybench results${broken.length ? `: ${broken.join('; ')}` : ''}\n${proc.output().slice(-2000)}`);
      row.tasks = tasks;
      if (broken.length > 0) row.reason = `tasks that threw: ${broken.join('; ')}`;
    } catch (e) {
      row.status = 'failed';
      row.reason = errMsg(e);
      ctx.log(`  FAILED: ${row.reason.split('\n')[0]}`);
    }
  }
  return { rows };
}
