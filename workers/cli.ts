#!/usr/bin/env node
// `nuncio` command: Envoy's CLI flags; --mode validate checks the config (and TLS material) and exits;
// serve runs the admin thread and the workers until SIGTERM/SIGINT or /quitquitquit; SIGHUP reloads.
import { parseArgs, requestedRuntime } from './cli-args.js';
import { readConfig } from './config-source.js';
import { resolveTls } from './tls/material.js';
import { Server, StartError } from './server.js';
import { Logger } from './log.js';
import { BUILD } from './version.js';
import { IS_BUN } from './runtime/bun.js';
import { CLI_ENTRY, runUnder } from './runtime/launch.js';
import { checkBunConfig, bunRefusal } from './runtime/bun-check.js';
import { runtimeEntriesFor } from './runtime/layers.js';

async function main(): Promise<number> {
  // Asked for the other runtime: the same entry and arguments run under its binary, as our child.
  const want = requestedRuntime(process.argv.slice(2));
  if (want !== null && (want === 'bun') !== IS_BUN) return (await runUnder(want, CLI_ENTRY, process.argv.slice(2))) ?? 1;
  const r = parseArgs(process.argv.slice(2));
  if (r.kind === 'help') {
    process.stdout.write(r.text);
    return 0;
  }
  if (r.kind === 'version') {
    process.stdout.write(`\nnuncio  version: ${BUILD}\n\n`);
    return 0;
  }
  if (r.kind === 'error') {
    process.stderr.write(`nuncio: ${r.message}\n`);
    return 1;
  }
  const o = r.options;
  const log = new Logger(o.logLevel, o.logPath);
  const cfg = readConfig(o);
  const name = o.configPath || '--config-yaml';
  if (!cfg.ok) {
    process.stderr.write(`error initializing configuration '${name}':\n${cfg.errors.map((e) => `  ${e}`).join('\n')}\n`);
    return 1;
  }
  for (const f of cfg.unknownFields) log.warn('config', `ignoring unknown field ${f} (--allow-unknown-static-fields)`);
  const tls = resolveTls(cfg.snapshot, null);
  if (tls.issues.length > 0) {
    process.stderr.write(
      `error initializing configuration '${name}': invalid TLS material:\n${tls.issues.map((i) => `  ${i.where}: ${i.message}`).join('\n')}\n`,
    );
    return 1;
  }
  if (o.mode === 'validate') {
    // On Bun, validation includes what Bun.serve cannot serve (what serving would refuse at start-up).
    if (IS_BUN) {
      const c = await checkBunConfig(cfg.snapshot, runtimeEntriesFor(cfg.snapshot, {}));
      for (const w of c.warnings) log.warn('config', w);
      if (c.errors.length > 0) {
        process.stderr.write(`error initializing configuration '${name}': ${bunRefusal(c)}\n`);
        return 1;
      }
    }
    process.stdout.write(`configuration '${name}' OK\n`);
    return 0;
  }
  const server = new Server(o, log);
  const stop = (sig: string) => {
    log.info('main', `caught ${sig}`);
    void server.shutdown(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => void server.reload());
  try {
    await server.start(cfg.snapshot);
  } catch (e) {
    const msg = e instanceof StartError ? e.message : ((e as Error).stack ?? String(e));
    log.critical('main', `error initializing: ${msg}`);
    process.stderr.write(`nuncio: cannot start: ${msg}\n`);
    await server.shutdown(1);
    return 1;
  }
  if (o.mode === 'init_only') await server.shutdown(0);
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`nuncio: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  },
);
