// TLS material on the admin thread, for listeners and clusters: resolves each DataSource (inline, base64,
// file, environment), checks it the way an operator needs at start-up (parsable PEM, key matches
// certificate, certificate valid now, CA bundle holds certificates, SAN regexes compile), and writes
// private copies (0600 in a 0700 directory) for uWebSockets.js, which only reads files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import tls from 'node:tls';
import type { DataSource, DownstreamTlsContext, Snapshot, TlsCertificate, TlsParams, ValidationContext } from '../../core/config/types.js';
import type { ChainTls, ClusterTls } from '../protocol.js';
import { SanMatchers } from './san.js';

export interface TlsIssue {
  readonly where: string;
  readonly message: string;
}

function readSource(ds: DataSource, where: string, issues: TlsIssue[]): string | null {
  switch (ds.kind) {
    case 'inline_string':
      return ds.value;
    case 'inline_bytes':
      return Buffer.from(ds.value, 'base64').toString('latin1');
    case 'environment_variable': {
      const v = process.env[ds.value];
      if (v === undefined) issues.push({ where, message: `environment variable ${ds.value} is not set` });
      return v ?? null;
    }
    case 'filename':
      try {
        return fs.readFileSync(ds.value, 'latin1');
      } catch (e) {
        issues.push({ where, message: `cannot read "${ds.value}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
        return null;
      }
  }
}

/** Checks a certificate chain and its key; returns the leaf's expiry (ms) when valid. */
export function checkPair(certPem: string, keyPem: string, passphrase: string, where: string, issues: TlsIssue[], now = Date.now()): number | null {
  let cert: crypto.X509Certificate;
  try {
    cert = new crypto.X509Certificate(certPem);
  } catch (e) {
    issues.push({ where: `${where}.certificate_chain`, message: `cannot parse the certificate (PEM): ${(e as Error).message}` });
    return null;
  }
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey({ key: keyPem, ...(passphrase ? { passphrase } : {}) });
  } catch (e) {
    issues.push({ where: `${where}.private_key`, message: `cannot parse the private key (PEM): ${(e as Error).message}` });
    return null;
  }
  if (!cert.checkPrivateKey(key)) {
    issues.push({ where: `${where}.private_key`, message: `private key does not match the certificate (subject ${cert.subject.replace(/\n/g, ', ')})` });
    return null;
  }
  // A key whose numbers were altered can still "match" the public key; make it prove it can sign.
  try {
    const data = Buffer.from('nuncio-tls-check');
    const sig = crypto.sign(key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'ec' ? 'sha256' : null, data, key);
    if (!crypto.verify(key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'ec' ? 'sha256' : null, data, cert.publicKey, sig)) {
      issues.push({ where: `${where}.private_key`, message: 'private key does not match the certificate (signature check failed)' });
      return null;
    }
  } catch (e) {
    issues.push({ where: `${where}.private_key`, message: `private key is unusable: ${(e as Error).message}` });
    return null;
  }
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  if (now < from) {
    issues.push({ where: `${where}.certificate_chain`, message: `certificate is not valid yet (notBefore ${cert.validFrom})` });
    return null;
  }
  if (now > to) {
    issues.push({ where: `${where}.certificate_chain`, message: `certificate has expired (notAfter ${cert.validTo})` });
    return null;
  }
  return to;
}

export class TlsFiles {
  private dir: string | null = null;
  private n = 0;

  /** Writes `pem` to a private file and returns its path. */
  write(pem: string, what: string): string {
    if (this.dir === null) this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nuncio-tls-'));
    fs.chmodSync(this.dir, 0o700);
    const p = path.join(this.dir, `${this.n++}-${what}.pem`);
    fs.writeFileSync(p, pem, { mode: 0o600 });
    return p;
  }

  cleanup(): void {
    if (this.dir !== null) {
      fs.rmSync(this.dir, { recursive: true, force: true });
      this.dir = null;
    }
  }
}

/**
 * A trusted_ca bundle: Envoy loads every certificate in it and refuses one holding none
 * ("Failed to load trusted CA certificates from ..."); each PEM certificate must parse.
 */
export function checkCaBundle(pem: string, where: string, issues: TlsIssue[]): boolean {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    issues.push({ where, message: 'no PEM certificate in the CA bundle (expected -----BEGIN CERTIFICATE-----)' });
    return false;
  }
  for (let i = 0; i < blocks.length; i++) {
    try {
      new crypto.X509Certificate(blocks[i]);
    } catch (e) {
      issues.push({ where, message: `cannot parse the CA certificate${blocks.length > 1 ? ` #${i + 1}` : ''}: ${(e as Error).message}` });
      return false;
    }
  }
  return true;
}

/** The validation context's CA (checked) and SAN matchers (compiled once to report bad regexes). */
function resolveValidation(vc: ValidationContext | null, where: string, issues: TlsIssue[]): string {
  if (vc === null) return '';
  let ca = '';
  if (vc.trustedCa) {
    ca = readSource(vc.trustedCa, `${where}.validation_context.trusted_ca`, issues) ?? '';
    if (ca && !checkCaBundle(ca, `${where}.validation_context.trusted_ca`, issues)) ca = '';
  }
  try {
    new SanMatchers(vc.matchSubjectAltNames);
  } catch (e) {
    issues.push({ where: `${where}.validation_context.match_subject_alt_names`, message: (e as Error).message });
  }
  return ca;
}

const VERSIONS = ['TLSv1_0', 'TLSv1_1', 'TLSv1_2', 'TLSv1_3'];

/** tls_params that OpenSSL would refuse when the context is built (unknown cipher or curve names, min above max). */
function checkParams(p: TlsParams, where: string, issues: TlsIssue[]): void {
  if (p.minVersion !== 'AUTO' && p.maxVersion !== 'AUTO' && VERSIONS.indexOf(p.minVersion) > VERSIONS.indexOf(p.maxVersion)) {
    issues.push({ where: `${where}.tls_params`, message: `tls_minimum_protocol_version ${p.minVersion} is above tls_maximum_protocol_version ${p.maxVersion}` });
  }
  if (p.cipherSuites.length > 0) {
    try {
      tls.createSecureContext({ ciphers: p.cipherSuites.join(':') });
    } catch (e) {
      issues.push({ where: `${where}.tls_params.cipher_suites`, message: `failed to initialize cipher suites ${p.cipherSuites.join(':')}: ${(e as Error).message}` });
    }
  }
  if (p.ecdhCurves.length > 0) {
    try {
      tls.createSecureContext({ ecdhCurve: p.ecdhCurves.join(':') });
    } catch (e) {
      issues.push({ where: `${where}.tls_params.ecdh_curves`, message: `failed to initialize ECDH curves ${p.ecdhCurves.join(':')}: ${(e as Error).message}` });
    }
  }
}

export interface ResolvedTls {
  /** [listener][chain] */
  readonly chains: (ChainTls | null)[][];
  /** UpstreamTlsContext material of each TLS cluster, by name. */
  readonly clusters: Record<string, ClusterTls>;
  readonly issues: TlsIssue[];
  /** Earliest certificate expiry (ms), Infinity when no certificate. */
  readonly firstExpiry: number;
}

function resolveCert(t: TlsCertificate, where: string, issues: TlsIssue[]): { cert: string; key: string; pass: string; expiry: number } | null {
  const cert = readSource(t.certificateChain, `${where}.certificate_chain`, issues);
  const key = readSource(t.privateKey, `${where}.private_key`, issues);
  const pass = t.password ? (readSource(t.password, `${where}.password`, issues) ?? '') : '';
  if (cert === null || key === null) return null;
  const expiry = checkPair(cert, key, pass, where, issues);
  return expiry === null ? null : { cert, key, pass, expiry };
}

export function resolveTls(s: Snapshot, files: TlsFiles | null): ResolvedTls {
  const issues: TlsIssue[] = [];
  let firstExpiry = Infinity;
  const chains = s.listeners.map((l, li) =>
    l.filterChains.map((fc, ci) => {
      if (!fc.tls) return null;
      const where = `listener '${l.name}' (${l.address.address}:${l.address.port}) filter_chains[${ci}].transport_socket.common_tls_context`;
      const t: DownstreamTlsContext = fc.tls;
      const certs = t.common.tlsCertificates.map((c, k) => resolveCert(c, `${where}.tls_certificates[${k}]`, issues));
      const ca = resolveValidation(t.common.validationContext, where, issues);
      checkParams(t.common.params, where, issues);
      void li;
      if (certs.some((c) => c === null) || certs.length === 0) return null;
      for (const c of certs) firstExpiry = Math.min(firstExpiry, c!.expiry);
      const [first, ...rest] = certs as { cert: string; key: string; pass: string }[];
      return {
        certChainPem: first.cert,
        privateKeyPem: first.key,
        passphrase: first.pass,
        caPem: ca,
        certFile: files ? files.write(first.cert, 'cert') : '',
        keyFile: files ? files.write(first.key, 'key') : '',
        caFile: files && ca ? files.write(ca, 'ca') : '',
        extra: rest.map((r) => ({ certChainPem: r.cert, privateKeyPem: r.key, passphrase: r.pass })),
      };
    }),
  );
  const clusters: Record<string, ClusterTls> = {};
  for (const c of s.clusters) {
    if (!c.tls) continue;
    const where = `cluster '${c.name}' transport_socket.typed_config.common_tls_context`;
    const common = c.tls.common;
    const vc = common.validationContext;
    const ca = resolveValidation(vc, where, issues);
    checkParams(common.params, where, issues);
    // Node verifies the chain only against a CA; a SAN check alone (Envoy accepts it) has no hook here.
    if (vc !== null && !vc.trustedCa && vc.matchSubjectAltNames.length > 0) {
      issues.push({ where: `${where}.validation_context.match_subject_alt_names`, message: 'not supported by nuncio without validation_context.trusted_ca' });
    }
    if (common.tlsCertificates.length > 1) {
      issues.push({ where: `${where}.tls_certificates`, message: 'multiple TLS certificates are not supported for client (upstream) contexts' });
    }
    const cert = common.tlsCertificates.length === 1 ? resolveCert(common.tlsCertificates[0], `${where}.tls_certificates[0]`, issues) : null;
    if (cert) firstExpiry = Math.min(firstExpiry, cert.expiry);
    clusters[c.name] = { caPem: ca, certChainPem: cert?.cert ?? '', privateKeyPem: cert?.key ?? '', passphrase: cert?.pass ?? '' };
  }
  return { chains, clusters, issues, firstExpiry };
}
