// Shared pieces of opening upstream connections: Envoy's transport failure wording and the TLS options
// of a cluster's UpstreamTlsContext, resolved once per cluster.
import type tls from 'node:tls';
import type { Host } from '../../core/cluster/host.js';

// Certificate verification errors node reports (X509_V_ERR_* names, and a failed SAN check): Envoy's
// BoringSSL reports each as CERTIFICATE_VERIFY_FAILED.
const VERIFY_ERRORS = new Set([
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_CRL', 'UNABLE_TO_DECRYPT_CERT_SIGNATURE', 'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'CERT_SIGNATURE_FAILURE', 'CRL_SIGNATURE_FAILURE', 'CERT_NOT_YET_VALID', 'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID', 'CRL_HAS_EXPIRED', 'ERROR_IN_CERT_NOT_BEFORE_FIELD', 'ERROR_IN_CERT_NOT_AFTER_FIELD', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED', 'INVALID_CA', 'PATH_LENGTH_EXCEEDED', 'INVALID_PURPOSE', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

// BoringSSL reason codes (ERR_PACK(ERR_LIB_SSL, reason) = 0x10000000 + reason) of the failures an upstream
// handshake commonly meets; an alert from the peer is 1000 + its alert number.
const SSL_REASONS: Record<string, number> = {
  CERTIFICATE_VERIFY_FAILED: 125,
  WRONG_VERSION_NUMBER: 247,
  UNSUPPORTED_PROTOCOL: 258,
  NO_SHARED_CIPHER: 184,
  NO_CIPHERS_AVAILABLE: 182,
  SSLV3_ALERT_HANDSHAKE_FAILURE: 1040,
  SSLV3_ALERT_BAD_CERTIFICATE: 1042,
  SSLV3_ALERT_CERTIFICATE_EXPIRED: 1045,
  SSLV3_ALERT_CERTIFICATE_UNKNOWN: 1046,
  TLSV1_ALERT_UNKNOWN_CA: 1048,
  TLSV1_ALERT_ACCESS_DENIED: 1049,
  TLSV1_ALERT_DECRYPT_ERROR: 1051,
  TLSV1_ALERT_PROTOCOL_VERSION: 1070,
  TLSV1_ALERT_INTERNAL_ERROR: 1080,
  TLSV1_ALERT_UNRECOGNIZED_NAME: 1112,
  TLSV1_ALERT_NO_APPLICATION_PROTOCOL: 1120,
};

/** Envoy's transport failure reason for a failed TLS handshake ("TLS_error:|<code>:SSL routines:...:TLS_error_end"). */
function tlsFailureReason(code: string): string | null {
  let reason: string;
  if (VERIFY_ERRORS.has(code)) reason = 'CERTIFICATE_VERIFY_FAILED';
  else if (code.startsWith('ERR_SSL_')) reason = code.slice(8).replace(/^TLSV13_ALERT_CERTIFICATE_REQUIRED$/, 'TLSV1_CERTIFICATE_REQUIRED');
  else return null;
  const n = reason === 'TLSV1_CERTIFICATE_REQUIRED' ? 1116 : SSL_REASONS[reason];
  return `TLS_error:|${n !== undefined ? `${0x10000000 + n}:` : ''}SSL routines:OPENSSL_internal:${reason}:TLS_error_end`;
}

/** Envoy's "delayed connect error: 111" style reason from a socket error, or its TLS_error text. */
export function connectFailureReason(e: { errno?: number; code?: string; message?: string }): string {
  const tlsReason = e.code ? tlsFailureReason(e.code) : null;
  if (tlsReason !== null) return tlsReason;
  if (typeof e.errno === 'number' && e.errno !== 0) return `delayed connect error: ${Math.abs(e.errno)}`;
  if (e.code) return `delayed connect error: ${e.code}`;
  return e.message ?? 'connection failure';
}

export interface UpstreamTlsOptions {
  /** Connection options for one host (SNI only when the cluster sets `sni`, as Envoy). */
  forHost(host: Host): tls.ConnectionOptions;
}
