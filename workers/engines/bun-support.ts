// What nuncio on Bun can serve, decided per listener on the admin thread at start-up and on reload:
// how Bun.serve must be set up for it (HTTP/2, HTTP/1.1, idle timeout, TLS options), or why it must be
// refused, or what it will do differently (warnings). Every message names the listener.
import type { FilterChain, ListenerConfig } from '../../core/config/types.js';
import type { ChainTls } from '../protocol.js';
import type { BunTlsOptions } from '../runtime/bun.js';

/** How one listener runs on Bun.serve (sent to the workers in its ListenerPlan). */
export interface BunListenerMode {
  /** Bun.serve `http2` (cleartext: prior knowledge; TLS: ALPN h2). */
  readonly http2: boolean;
  /** Bun.serve `http1` (false only for codec_type HTTP2). */
  readonly http1: boolean;
  /** Every request is HTTP/2 (codec HTTP2): Bun does not tell an AUTO listener's handler which protocol it got. */
  readonly allHttp2: boolean;
  /** Bun.serve `idleTimeout` in seconds (Bun's maximum is 255; 0 = none). */
  readonly idleTimeoutS: number;
}

export interface BunCapabilities {
  readonly version: string;
  /** Bun.serve({ http2: true }) serves HTTP/2. */
  readonly http2: boolean;
}

export interface BunVerdict {
  readonly mode: BunListenerMode | null;
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

/** Bun's largest idleTimeout. */
export const BUN_MAX_IDLE_S = 255;

/**
 * Checks one listener against Bun. `connectionLimit` is the listener's runtime connection_limit and
 * `globalLimit` overload.global_downstream_max_connections (0 = none).
 */
export function bunListenerMode(l: ListenerConfig, caps: BunCapabilities, connectionLimit: number, globalLimit: number): BunVerdict {
  const errors: string[] = [];
  const warnings: string[] = [];
  const name = `listener '${l.name}'`;
  if (l.filterChains.length !== 1) {
    errors.push(
      `${name} has ${l.filterChains.length} filter chains: Bun.serve does not tell a request which server name (SNI) its connection used, ` +
        'so nuncio on Bun cannot pick a filter chain per connection; give the listener one filter chain or run it on Node.js',
    );
  }
  // Bun.serve has no per-connection hook (open, close, refuse) for HTTP: connections cannot be counted or limited.
  if (connectionLimit > 0) {
    errors.push(
      `${name}: runtime envoy.resource_limits.listener.${l.name}.connection_limit is ${connectionLimit}, but Bun.serve has no per-connection hook ` +
        'to count or refuse connections; remove the limit or run nuncio on Node.js',
    );
  }
  // ignore_global_conn_limit: the global limit never refuses this listener's connections.
  if (globalLimit > 0 && l.ignoreGlobalConnLimit !== true) {
    errors.push(
      `${name}: runtime overload.global_downstream_max_connections is ${globalLimit}, but Bun.serve has no per-connection hook ` +
        'to count or refuse connections; remove the limit or run nuncio on Node.js',
    );
  }
  const fc = l.filterChains[0];
  if (fc?.tls?.requireSni) {
    errors.push(
      `${name}: require_sni: Bun.serve does not tell nuncio whether a connection sent a server name (SNI), so it cannot ` +
        'refuse those that did not; remove require_sni or run nuncio on Node.js',
    );
  }
  if (fc === undefined || errors.length > 0) return { mode: null, errors, warnings };

  const codec = fc.hcm.codec;
  const alpn = fc.tls?.common.alpnProtocols ?? [];
  let http2 = false;
  let http1 = true;
  if (codec === 'HTTP2') {
    if (!caps.http2) {
      errors.push(`${name}: codec_type HTTP2 needs HTTP/2 in Bun.serve, which Bun ${caps.version} does not offer; use codec_type AUTO or HTTP1, or run nuncio on Node.js`);
      return { mode: null, errors, warnings };
    }
    http2 = true;
    http1 = false;
  } else if (codec === 'AUTO') {
    // Cleartext AUTO: HTTP/2 by prior knowledge. TLS: only if the chain offers h2 by ALPN, as Envoy.
    const wantsH2 = fc.tls === null || alpn.includes('h2');
    if (wantsH2 && caps.http2) http2 = true;
    else if (wantsH2) {
      warnings.push(
        `${name}: codec_type AUTO serves HTTP/1.1 only: ${fc.tls === null ? 'HTTP/2 with prior knowledge' : 'HTTP/2 by ALPN h2'} is not available in Bun.serve on Bun ${caps.version}`,
      );
    }
  }

  const hcm = fc.hcm;
  if (hcm.requestHeadersTimeoutMs > 0) {
    warnings.push(`${name}: request_headers_timeout is not applied on Bun (Bun.serve reads the request head before nuncio sees the request)`);
  }
  if (hcm.maxConnectionDurationMs > 0) {
    warnings.push(`${name}: max_connection_duration is not applied on Bun (Bun.serve has no per-connection hook)`);
  }
  if (fc.serverNames.length > 0) {
    warnings.push(`${name}: server_names ${JSON.stringify(fc.serverNames)} are not enforced on Bun: connections with any server name are served by this filter chain`);
  }
  if (fc.tls !== null) {
    const common = fc.tls.common;
    if (common.tlsCertificates.length > 1) {
      warnings.push(`${name}: only the first of ${common.tlsCertificates.length} tls_certificates is served on Bun (Bun.serve takes one certificate per server name)`);
    }
    if (common.params.ecdhCurves.length > 0) warnings.push(`${name}: ecdh_curves is not applied on Bun (Bun.serve has no option for it)`);
  }
  return { mode: { http2, http1, allHttp2: codec === 'HTTP2', idleTimeoutS: bunIdleTimeout(hcm.idleTimeoutMs) }, errors, warnings };
}

/** HCM idle_timeout as Bun.serve's idleTimeout: whole seconds, at most 255 (Envoy's default 1 h included). */
export function bunIdleTimeout(ms: number): number {
  if (ms <= 0) return BUN_MAX_IDLE_S;
  return Math.min(BUN_MAX_IDLE_S, Math.max(1, Math.ceil(ms / 1000)));
}

// OpenSSL SSL_OP_NO_* bits (stable values; Bun's TLSOptions.secureOptions takes them).
const NO_TLS: Record<string, number> = { TLSv1_0: 0x04000000, TLSv1_1: 0x10000000, TLSv1_2: 0x08000000, TLSv1_3: 0x20000000 };
const VERSIONS = ['TLSv1_0', 'TLSv1_1', 'TLSv1_2', 'TLSv1_3'];

/** Bun.serve `tls` for a filter chain's resolved material (first certificate; see bunListenerMode). */
export function bunTlsOptions(t: ChainTls, fc: FilterChain): BunTlsOptions {
  const tls = fc.tls!;
  const p = tls.common.params;
  // Envoy's downstream defaults: TLS 1.2 to 1.3.
  const min = VERSIONS.indexOf(p.minVersion === 'AUTO' ? 'TLSv1_2' : p.minVersion);
  const max = VERSIONS.indexOf(p.maxVersion === 'AUTO' ? 'TLSv1_3' : p.maxVersion);
  let secureOptions = 0;
  for (let i = 0; i < VERSIONS.length; i++) if (i < min || i > max) secureOptions |= NO_TLS[VERSIONS[i]];
  return {
    key: t.privateKeyPem,
    cert: t.certChainPem,
    ...(t.passphrase ? { passphrase: t.passphrase } : {}),
    ...(t.caPem ? { ca: t.caPem } : {}),
    ...(tls.requireClientCertificate ? { requestCert: true, rejectUnauthorized: true } : {}),
    ...(p.cipherSuites.length > 0 ? { ciphers: p.cipherSuites.join(':') } : {}),
    ...(secureOptions !== 0 ? { secureOptions } : {}),
  };
}
