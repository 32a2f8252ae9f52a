// Command-line and environment parsing for the service-app CLI, kept apart from main.ts so tests
// can call it without starting a server. Flags win over SERVICE_NAME, SERVICE_ADDRESS, SERVICE_PORT,
// SERVICE_HOSTNAME and SERVICE_RESOLVED_IP.

import { parseArgs } from 'node:util';
import type { ServiceAppOptions } from './app.js';

export const USAGE = 'usage: service-app --name N [--address 127.0.0.1] [--port 8080] [--hostname H] [--resolved-ip IP]';

/** Turns argv and the environment into options; returns an error message instead on bad input. */
export function parseServiceAppArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ServiceAppOptions | string {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv.slice(),
      options: {
        name: { type: 'string' },
        address: { type: 'string' },
        port: { type: 'string' },
        hostname: { type: 'string' },
        'resolved-ip': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    return (err as Error).message;
  }
  if (values.help === true) return USAGE;
  const pick = (flag: string, envName: string): string | undefined => {
    const v = values[flag];
    if (typeof v === 'string') return v;
    const e = env[envName];
    return e === undefined || e === '' ? undefined : e;
  };
  const serviceName = pick('name', 'SERVICE_NAME');
  if (serviceName === undefined) return 'SERVICE_NAME (or --name) is required';
  const portText = pick('port', 'SERVICE_PORT');
  let port: number | undefined;
  if (portText !== undefined) {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65535) return `bad port: ${portText}`;
  }
  return {
    serviceName,
    address: pick('address', 'SERVICE_ADDRESS'),
    port,
    hostname: pick('hostname', 'SERVICE_HOSTNAME'),
    resolvedIp: pick('resolved-ip', 'SERVICE_RESOLVED_IP'),
  };
}
