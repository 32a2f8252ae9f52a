// Envoy's admin JSON is protobuf JSON pretty-printed with one-space indents (and a final newline);
// these helpers produce the same value forms: Duration "5s"/"0.250s", Timestamp RFC 3339 UTC,
// 64-bit integers as strings.

/** MessageUtil::getJsonStringFromMessage(msg, pretty_print = true). */
export function prettyJson(v: unknown): string {
  return `${JSON.stringify(v, null, 1)}\n`;
}

/** google.protobuf.Duration in JSON: seconds with 0, 3, 6 or 9 fractional digits. */
export function durationJson(ms: number): string {
  const totalNs = Math.round(ms * 1e6);
  const neg = totalNs < 0;
  const abs = Math.abs(totalNs);
  const secs = Math.floor(abs / 1e9);
  const nanos = abs - secs * 1e9;
  let frac = '';
  if (nanos !== 0) {
    const n9 = String(nanos).padStart(9, '0');
    frac = nanos % 1e6 === 0 ? `.${n9.slice(0, 3)}` : nanos % 1e3 === 0 ? `.${n9.slice(0, 6)}` : `.${n9}`;
  }
  return `${neg ? '-' : ''}${secs}${frac}s`;
}

/** google.protobuf.Timestamp in JSON: `2024-01-02T03:04:05Z`, or with `.123` when there are millis. */
export function timestampJson(ms: number): string {
  const iso = new Date(Math.floor(ms)).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

/** uint64/int64 fields are strings in protobuf JSON. */
export function u64(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : String(Math.max(0, Math.round(n)));
}

/** `[addr]:port` for IPv6, `addr:port` otherwise (Network::Address::Instance::asString). */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** config.core.v3.Address for an ip:port (port 0 is the proto default, so omitted). */
export function addressJson(address: string, port: number): Record<string, unknown> {
  const sa: Record<string, unknown> = { address };
  if (port !== 0) sa.port_value = port;
  return { socket_address: sa };
}

/** Parses `ip:port` / `[ip6]:port` back into its parts. */
export function parseHostPort(s: string): { address: string; port: number } | null {
  const m = /^\[([^\]]*)\]:(\d+)$/.exec(s) ?? /^([^:]*):(\d+)$/.exec(s);
  return m ? { address: m[1], port: Number(m[2]) } : null;
}
