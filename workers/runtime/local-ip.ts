// This machine's address as Envoy's local_info has it (Network::Utility::getLocalAddress for IPv4): the
// first IPv4 address of an interface that is not loopback, else 127.0.0.1.
import os from 'node:os';

export function localIpv4(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
