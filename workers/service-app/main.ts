// CLI for one service instance (what `python3 service.py` was in each container):
//   node dist/workers/service-app/main.js --name 1 --address 127.0.0.11 --port 8080 --hostname service1-1
// Flags win over the environment (SERVICE_NAME, SERVICE_ADDRESS, SERVICE_PORT, SERVICE_HOSTNAME, SERVICE_RESOLVED_IP).

import { startServiceApp, type ServiceApp } from './app.js';
import { USAGE, parseServiceAppArgs } from './args.js';

let running: ServiceApp | null = null;

function onSignal(): void {
  const app = running;
  running = null;
  if (app === null) process.exit(0);
  void app.close().then(() => process.exit(0));
}

async function main(): Promise<void> {
  const opts = parseServiceAppArgs(process.argv.slice(2), process.env);
  if (typeof opts === 'string') {
    console.error(opts === USAGE ? USAGE : `service-app: ${opts}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  try {
    running = await startServiceApp(opts);
  } catch (err) {
    console.error(`service-app: cannot listen: ${(err as Error).message}`);
    process.exitCode = 1;
    return;
  }
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // One line on stdout, so whoever spawned us knows the port (useful with --port 0).
  console.log(`service-app: service ${opts.serviceName} listening on ${running.address}:${running.port}`);
}

void main();
