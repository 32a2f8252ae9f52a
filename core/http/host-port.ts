// The HCM's strip_any_host_port / strip_matching_host_port (Envoy's maybeNormalizeHost): the port is
// taken off Host/:authority before routing, so it affects virtual-host matching and the upstream Host.
import { portStart } from '../router/vhosts.js';

/**
 * `authority` without its port when `stripAny`, or when `stripMatching` and the port is `localPort`
 * (the listener's); unchanged otherwise, and when the part after ':' is not a decimal port.
 */
export function normalizeHost(authority: string, stripAny: boolean, stripMatching: boolean, localPort: number): string {
  if (!stripAny && !stripMatching) return authority;
  const p = portStart(authority);
  if (p < 0) return authority;
  const port = authority.slice(p + 1);
  if (!/^\d{1,10}$/.test(port) || Number(port) > 0xffffffff) return authority;
  if (!stripAny && Number(port) !== localPort) return authority;
  return authority.slice(0, p);
}

