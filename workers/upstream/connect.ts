// Shared pieces of opening upstream connections: Envoy's transport failure wording and the TLS options
// of a cluster's UpstreamTlsContext, resolved once per cluster.
import type tls from 'node:tls';
import type { Host } from '../../core/cluster/host.js';

/** Envoy's "delayed connect error: 111" style reason from a socket error. */
export function connectFailureReason(e: { errno?: number; code?: string; message?: string }): string {
  if (typeof e.errno === 'number' && e.errno !== 0) return `delayed connect error: ${Math.abs(e.errno)}`;
  if (e.code) return `delayed connect error: ${e.code}`;
  return e.message ?? 'connection failure';
}

export interface UpstreamTlsOptions {
  /** Connection options for one host (SNI defaults to the configured sni, else the host name). */
  forHost(host: Host): tls.ConnectionOptions;
}
