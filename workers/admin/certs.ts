// /certs: one entry per TLS context (clusters first, as Envoy creates them, then listener filter
// chains), each with its CA and certificate-chain details (admin.v3.Certificates, all fields printed).
import fs from 'node:fs';
import crypto from 'node:crypto';
import type { CommonTlsContext, DataSource, Snapshot } from '../../core/config/types.js';
import { prettyJson, timestampJson, u64 } from './proto-json.js';

const DAY_MS = 86_400_000;

function readSource(ds: DataSource): string | null {
  try {
    switch (ds.kind) {
      case 'inline_string':
        return ds.value;
      case 'inline_bytes':
        return Buffer.from(ds.value, 'base64').toString('latin1');
      case 'environment_variable':
        return process.env[ds.value] ?? null;
      case 'filename':
        return fs.readFileSync(ds.value, 'latin1');
    }
  } catch {
    return null;
  }
}

function sans(cert: crypto.X509Certificate): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const part of (cert.subjectAltName ?? '').split(', ')) {
    const i = part.indexOf(':');
    if (i < 0) continue;
    const kind = part.slice(0, i);
    const value = part.slice(i + 1);
    if (kind === 'DNS') out.push({ dns: value });
    else if (kind === 'URI') out.push({ uri: value });
    else if (kind === 'IP Address') out.push({ ip_address: value });
  }
  return out;
}

/** admin.v3.CertificateDetails for the first certificate of a data source, or null if unreadable. */
function details(ds: DataSource, now: number): Record<string, unknown> | null {
  const pem = readSource(ds);
  if (pem === null) return null;
  let cert: crypto.X509Certificate;
  try {
    cert = new crypto.X509Certificate(pem);
  } catch {
    return null;
  }
  const validTo = Date.parse(cert.validTo);
  return {
    path: ds.kind === 'filename' ? ds.value : '<inline>',
    serial_number: cert.serialNumber.toLowerCase().replace(/^0+(?=.)/, ''),
    subject_alt_names: sans(cert),
    days_until_expiration: u64(Math.max(0, Math.floor((validTo - now) / DAY_MS))),
    valid_from: timestampJson(Date.parse(cert.validFrom)),
    expiration_time: timestampJson(validTo),
  };
}

function certificate(common: CommonTlsContext, now: number): Record<string, unknown> {
  const ca: Record<string, unknown>[] = [];
  const trusted = common.validationContext?.trustedCa ?? null;
  if (trusted !== null) {
    const d = details(trusted, now);
    if (d !== null) ca.push(d);
  }
  const chain: Record<string, unknown>[] = [];
  for (const tc of common.tlsCertificates) {
    const d = details(tc.certificateChain, now);
    if (d !== null) chain.push(d);
  }
  return { ca_cert: ca, cert_chain: chain };
}

/** The /certs body. */
export function renderCerts(s: Snapshot, now = Date.now()): string {
  const certificates: Record<string, unknown>[] = [];
  for (const c of s.clusters) if (c.tls !== null) certificates.push(certificate(c.tls.common, now));
  for (const l of s.listeners) {
    for (const fc of l.filterChains) if (fc.tls !== null) certificates.push(certificate(fc.tls.common, now));
  }
  return prettyJson({ certificates });
}
