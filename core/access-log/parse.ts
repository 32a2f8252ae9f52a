// Parsing of Envoy format strings ('...%REQ(X?Y):N%...') into Parts: the table of supported
// command operators, their syntax rules, and Envoy's error messages.

import { A, AM, G, H, LIT_EMPTY, Op, Part } from './operator.js';
import { checkTimeFormat, TimeFormat } from './time-format.js';

export interface FormatOptions {
  /** %HOSTNAME%; unset renders '-'. */
  readonly hostname?: string;
  /** %ENVIRONMENT(X)%, resolved at compile time as Envoy does. */
  readonly getEnv?: (name: string) => string | undefined;
}

export class AccessLogFormatError extends Error {}

const F_COMMAND_ONLY = 0;
const F_PARAMS_REQUIRED = 1;
const F_PARAMS_OPTIONAL = 2;
const F_LENGTH_ALLOWED = 4;

type Make = (sub: string, max: number, opts: FormatOptions) => Part;

interface OpDef {
  readonly flags: number;
  readonly make: Make;
}

const OPS = new Map<string, OpDef>();

function def(name: string, flags: number, make: Make): void {
  OPS.set(name, { flags, make });
}

function simple(name: string, op: Op): void {
  def(name, F_COMMAND_ONLY, () => new Part(op));
}

const HEADER_NAME = /^:?[!#$%&'*+\-.^_`|~0-9a-z]+$/;

function headerCode(name: string, response: boolean): number {
  if (response) {
    if (name === ':status') return H.Status;
    if (name === 'x-envoy-upstream-service-time') return H.UpstreamServiceTime;
    return H.Plain;
  }
  switch (name) {
    case ':path': return H.Path;
    case ':method': return H.Method;
    case ':authority': return H.Authority;
    case ':scheme': return H.Scheme;
    case 'x-envoy-original-path': return H.OriginalPath;
    case 'x-request-id': return H.RequestId;
    default: return H.Plain;
  }
}

function headerOp(op: Op): Make {
  return (sub, max) => {
    const names = sub.split('?');
    if (names.length > 2) throw new AccessLogFormatError(`More than 1 alternative header specified in token: ${sub}`);
    const main = names[0].toLowerCase();
    const alt = names.length > 1 ? names[1].toLowerCase() : '';
    if (!HEADER_NAME.test(main) || (alt !== '' && !HEADER_NAME.test(alt))) {
      throw new AccessLogFormatError('Invalid header configuration. Format string contains invalid characters.');
    }
    const response = op === Op.RespHeader;
    return new Part(op, main, alt, max, headerCode(main, response), headerCode(alt, response));
  };
}

function timeOp(op: Op, local: boolean): Make {
  return (sub) => {
    const err = checkTimeFormat(sub);
    if (err !== null) throw new AccessLogFormatError(err);
    return new Part(op, '', '', -1, 0, 0, new TimeFormat(sub, local));
  };
}

function addressOps(prefix: string, src: A): void {
  def(prefix, F_COMMAND_ONLY, () => new Part(Op.Address, '', '', -1, src, AM.WithPort));
  def(prefix + '_WITHOUT_PORT', F_COMMAND_ONLY, () => new Part(Op.Address, '', '', -1, src, AM.WithoutPort));
}

def('START_TIME', F_PARAMS_OPTIONAL, timeOp(Op.StartTime, false));
def('START_TIME_LOCAL', F_PARAMS_OPTIONAL, timeOp(Op.StartTime, true));
// nuncio logs when the stream ends, so the emit time is the start time plus the duration.
def('EMIT_TIME', F_PARAMS_OPTIONAL, timeOp(Op.EmitTime, false));
def('EMIT_TIME_LOCAL', F_PARAMS_OPTIONAL, timeOp(Op.EmitTime, true));
def('REQ', F_PARAMS_REQUIRED | F_LENGTH_ALLOWED, headerOp(Op.ReqHeader));
def('RESP', F_PARAMS_REQUIRED | F_LENGTH_ALLOWED, headerOp(Op.RespHeader));
def('TRAILER', F_PARAMS_REQUIRED | F_LENGTH_ALLOWED, headerOp(Op.Trailer));
simple('PROTOCOL', Op.Protocol);
simple('UPSTREAM_PROTOCOL', Op.UpstreamProtocol);
simple('RESPONSE_CODE', Op.ResponseCode);
def('RESPONSE_CODE_DETAILS', F_PARAMS_OPTIONAL,
  (sub) => new Part(Op.ResponseCodeDetails, '', '', -1, sub === 'ALLOW_WHITESPACES' ? 1 : 0));
simple('RESPONSE_FLAGS', Op.ResponseFlags);
simple('RESPONSE_FLAGS_LONG', Op.ResponseFlagsLong);
simple('BYTES_RECEIVED', Op.BytesReceived);
simple('BYTES_SENT', Op.BytesSent);
simple('DURATION', Op.Duration);
simple('REQUEST_DURATION', Op.RequestDuration);
simple('REQUEST_TX_DURATION', Op.RequestTxDuration);
simple('RESPONSE_DURATION', Op.ResponseDuration);
simple('RESPONSE_TX_DURATION', Op.ResponseTxDuration);
def('UPSTREAM_HOST', F_COMMAND_ONLY, () => new Part(Op.Address, '', '', -1, A.UpstreamHost, AM.WithPort));
def('UPSTREAM_HOST_NAME', F_COMMAND_ONLY, () => new Part(Op.UpstreamHostName, '', '', -1, 0, AM.WithPort));
def('UPSTREAM_HOST_NAME_WITHOUT_PORT', F_COMMAND_ONLY,
  () => new Part(Op.UpstreamHostName, '', '', -1, 0, AM.WithoutPort));
simple('UPSTREAM_CLUSTER', Op.UpstreamCluster);
simple('UPSTREAM_CLUSTER_RAW', Op.UpstreamCluster);
addressOps('UPSTREAM_LOCAL_ADDRESS', A.UpstreamLocal);
def('UPSTREAM_LOCAL_PORT', F_COMMAND_ONLY, () => new Part(Op.Address, '', '', -1, A.UpstreamLocal, AM.JustPort));
addressOps('UPSTREAM_REMOTE_ADDRESS', A.UpstreamHost);
def('UPSTREAM_REMOTE_PORT', F_COMMAND_ONLY, () => new Part(Op.Address, '', '', -1, A.UpstreamHost, AM.JustPort));
simple('UPSTREAM_TRANSPORT_FAILURE_REASON', Op.UpstreamTransportFailureReason);
simple('UPSTREAM_REQUEST_ATTEMPT_COUNT', Op.UpstreamRequestAttemptCount);
addressOps('DOWNSTREAM_REMOTE_ADDRESS', A.DownstreamRemote);
def('DOWNSTREAM_REMOTE_PORT', F_COMMAND_ONLY,
  () => new Part(Op.Address, '', '', -1, A.DownstreamRemote, AM.JustPort));
addressOps('DOWNSTREAM_DIRECT_REMOTE_ADDRESS', A.DownstreamDirectRemote);
def('DOWNSTREAM_DIRECT_REMOTE_PORT', F_COMMAND_ONLY,
  () => new Part(Op.Address, '', '', -1, A.DownstreamDirectRemote, AM.JustPort));
addressOps('DOWNSTREAM_LOCAL_ADDRESS', A.DownstreamLocal);
addressOps('DOWNSTREAM_DIRECT_LOCAL_ADDRESS', A.DownstreamLocal);
def('DOWNSTREAM_LOCAL_PORT', F_COMMAND_ONLY, () => new Part(Op.Address, '', '', -1, A.DownstreamLocal, AM.JustPort));
def('DOWNSTREAM_DIRECT_LOCAL_PORT', F_COMMAND_ONLY,
  () => new Part(Op.Address, '', '', -1, A.DownstreamLocal, AM.JustPort));
simple('CONNECTION_ID', Op.ConnectionId);
simple('REQUESTED_SERVER_NAME', Op.RequestedServerName);
simple('DOWNSTREAM_TLS_VERSION', Op.DownstreamTlsVersion);
simple('DOWNSTREAM_TLS_CIPHER', Op.DownstreamTlsCipher);
simple('ROUTE_NAME', Op.RouteName);
simple('HOSTNAME', Op.Hostname);
simple('LOCAL_REPLY_BODY', Op.LocalReplyBody);
simple('UNIQUE_ID', Op.UniqueId);
simple('STREAM_ID', Op.StreamId);
simple('REQUEST_HEADERS_BYTES', Op.RequestHeadersBytes);
simple('RESPONSE_HEADERS_BYTES', Op.ResponseHeadersBytes);
simple('RESPONSE_TRAILERS_BYTES', Op.ResponseTrailersBytes);
// Every HCM log nuncio writes is the end-of-stream one.
def('ACCESS_LOG_TYPE', F_COMMAND_ONLY, () => new Part(Op.Lit, 'DownstreamEnd'));
def('CUSTOM_FLAGS', F_COMMAND_ONLY, () => LIT_EMPTY);
def('GRPC_STATUS', F_PARAMS_OPTIONAL, (sub) => {
  let g: G;
  if (sub === '' || sub === 'CAMEL_STRING') g = G.Camel;
  else if (sub === 'SNAKE_STRING') g = G.Snake;
  else if (sub === 'NUMBER') g = G.Number;
  else throw new AccessLogFormatError('GrpcStatusFormatter only supports CAMEL_STRING, SNAKE_STRING or NUMBER.');
  return new Part(Op.GrpcStatus, '', '', -1, g);
});
def('GRPC_STATUS_NUMBER', F_COMMAND_ONLY, () => new Part(Op.GrpcStatus, '', '', -1, G.Number));
def('ENVIRONMENT', F_PARAMS_REQUIRED | F_LENGTH_ALLOWED, (sub, max, opts) => {
  let v = opts.getEnv?.(sub);
  if (v === undefined) return new Part(Op.Lit, '-');
  if (max >= 0 && v.length > max) v = v.slice(0, max);
  return new Part(Op.Lit, v);
});

// Operators Envoy knows whose data nuncio never has (no TLS peer details, dynamic metadata,
// filter state, tracing...). Envoy renders them '-' in that situation, so they are accepted.
const UNSET_COMMAND_ONLY = [
  'VIRTUAL_CLUSTER_NAME', 'CONNECTION_TERMINATION_DETAILS', 'FILTER_CHAIN_NAME', 'TRACE_ID',
  'DOWNSTREAM_PEER_URI_SAN', 'DOWNSTREAM_PEER_DNS_SAN', 'DOWNSTREAM_PEER_IP_SAN', 'DOWNSTREAM_PEER_EMAIL_SAN',
  'DOWNSTREAM_PEER_OTHERNAME_SAN', 'DOWNSTREAM_LOCAL_URI_SAN', 'DOWNSTREAM_LOCAL_DNS_SAN',
  'DOWNSTREAM_LOCAL_IP_SAN', 'DOWNSTREAM_LOCAL_EMAIL_SAN', 'DOWNSTREAM_LOCAL_OTHERNAME_SAN',
  'DOWNSTREAM_PEER_SUBJECT', 'DOWNSTREAM_LOCAL_SUBJECT', 'DOWNSTREAM_PEER_ISSUER', 'DOWNSTREAM_PEER_CERT',
  'DOWNSTREAM_PEER_SERIAL', 'DOWNSTREAM_PEER_FINGERPRINT_256', 'DOWNSTREAM_PEER_FINGERPRINT_1',
  'DOWNSTREAM_PEER_CHAIN_FINGERPRINTS_256', 'DOWNSTREAM_PEER_CHAIN_FINGERPRINTS_1',
  'DOWNSTREAM_PEER_CHAIN_SERIALS', 'DOWNSTREAM_TLS_SESSION_ID', 'DOWNSTREAM_TRANSPORT_FAILURE_REASON',
  'UPSTREAM_TLS_CIPHER', 'UPSTREAM_TLS_VERSION', 'UPSTREAM_TLS_SESSION_ID', 'UPSTREAM_PEER_ISSUER',
  'UPSTREAM_PEER_CERT', 'UPSTREAM_PEER_SUBJECT', 'UPSTREAM_PEER_URI_SAN', 'UPSTREAM_PEER_DNS_SAN',
  'UPSTREAM_PEER_IP_SAN', 'UPSTREAM_LOCAL_URI_SAN', 'UPSTREAM_LOCAL_DNS_SAN', 'UPSTREAM_LOCAL_IP_SAN',
  'TLS_JA3_FINGERPRINT', 'TLS_JA4_FINGERPRINT', 'DOWNSTREAM_HANDSHAKE_DURATION', 'ROUNDTRIP_DURATION',
  'UPSTREAM_CONNECTION_POOL_READY_DURATION',
];
const UNSET = new Part(Op.Unset);
for (const name of UNSET_COMMAND_ONLY) def(name, F_COMMAND_ONLY, () => UNSET);
for (const name of ['DYNAMIC_METADATA', 'CLUSTER_METADATA', 'UPSTREAM_METADATA']) {
  def(name, F_PARAMS_REQUIRED | F_LENGTH_ALLOWED, () => UNSET);
}
for (const name of ['FILTER_STATE', 'UPSTREAM_FILTER_STATE']) {
  def(name, F_PARAMS_OPTIONAL | F_LENGTH_ALLOWED, (sub) => {
    const [key, kind = '', field = ''] = sub.split(':');
    if (key === '') throw new AccessLogFormatError('Invalid filter state configuration, key cannot be empty.');
    const type = kind === '' ? 'TYPED' : kind;
    if (type !== 'PLAIN' && type !== 'TYPED' && type !== 'FIELD') {
      throw new AccessLogFormatError('Invalid filter state serialize type, only support PLAIN/TYPED/FIELD.');
    }
    if ((type === 'FIELD') !== (field !== '')) {
      throw new AccessLogFormatError('Invalid filter state serialize type, FIELD should be used with the field name.');
    }
    return UNSET;
  });
}
for (const name of ['DOWNSTREAM_PEER_CERT_V_START', 'DOWNSTREAM_PEER_CERT_V_END', 'UPSTREAM_PEER_CERT_V_START',
  'UPSTREAM_PEER_CERT_V_END']) {
  def(name, F_PARAMS_OPTIONAL, (sub) => {
    const err = checkTimeFormat(sub);
    if (err !== null) throw new AccessLogFormatError(err);
    return UNSET;
  });
}

// Envoy operators nuncio does not implement: refused so the output is never silently wrong.
const NOT_IMPLEMENTED = new Set([
  'COMMON_DURATION', 'UPSTREAM_CONNECTION_ID', 'BYTES_RETRANSMITTED', 'PACKETS_RETRANSMITTED',
  'UPSTREAM_WIRE_BYTES_SENT', 'UPSTREAM_WIRE_BYTES_RECEIVED', 'UPSTREAM_HEADER_BYTES_SENT',
  'UPSTREAM_HEADER_BYTES_RECEIVED', 'UPSTREAM_DECOMPRESSED_HEADER_BYTES_SENT',
  'UPSTREAM_DECOMPRESSED_HEADER_BYTES_RECEIVED', 'DOWNSTREAM_WIRE_BYTES_SENT', 'DOWNSTREAM_WIRE_BYTES_RECEIVED',
  'DOWNSTREAM_HEADER_BYTES_SENT', 'DOWNSTREAM_HEADER_BYTES_RECEIVED', 'DOWNSTREAM_DECOMPRESSED_HEADER_BYTES_SENT',
  'DOWNSTREAM_DECOMPRESSED_HEADER_BYTES_RECEIVED', 'QUERY_PARAM', 'PATH', 'METADATA', 'CEL', 'REQ_WITHOUT_QUERY',
]);

const COMMAND = /^%([A-Z0-9_]+)(?:\(([^)]*)\))?(?::([0-9]+))?%/;

function verifySyntax(flags: number, command: string, sub: string, max: number): void {
  if (flags === F_COMMAND_ONLY && (sub.length !== 0 || max >= 0)) {
    throw new AccessLogFormatError(`${command} does not take any parameters or length`);
  }
  if ((flags & F_PARAMS_REQUIRED) !== 0 && sub.length === 0) {
    throw new AccessLogFormatError(`${command} requires parameters`);
  }
  if ((flags & F_LENGTH_ALLOWED) === 0 && max >= 0) {
    throw new AccessLogFormatError(`${command} does not allow length to be specified.`);
  }
}

/** Parses a format string into parts; adjacent literals are merged. Throws AccessLogFormatError. */
export function parse(format: string, opts: FormatOptions): Part[] {
  const parts: Part[] = [];
  let text = '';
  const pushLiteral = (): void => {
    if (text !== '') parts.push(new Part(Op.Lit, text));
    text = '';
  };
  for (let pos = 0; pos < format.length; pos++) {
    const c = format[pos];
    if (c !== '%') {
      text += c;
      continue;
    }
    if (format[pos + 1] === '%') {
      text += '%';
      pos++;
      continue;
    }
    const m = COMMAND.exec(format.slice(pos));
    if (m === null) {
      throw new AccessLogFormatError(
        `Incorrect configuration: ${format}. Couldn't find valid command at position ${pos}`);
    }
    const command = m[1];
    const sub = m[2] ?? '';
    let max = -1;
    if (m[3] !== undefined) {
      max = Number(m[3]);
      if (!Number.isSafeInteger(max)) throw new AccessLogFormatError(`Length must be an integer, given: ${m[3]}`);
    }
    const d = OPS.get(command);
    if (d === undefined) {
      if (NOT_IMPLEMENTED.has(command)) {
        throw new AccessLogFormatError(`Access log operator %${command}% is not supported by nuncio`);
      }
      throw new AccessLogFormatError(`Not supported field in StreamInfo: ${command}`);
    }
    verifySyntax(d.flags, command, sub, max);
    const part = d.make(sub, max, opts);
    if (part.op === Op.Lit) {
      text += part.text;
    } else {
      pushLiteral();
      parts.push(part);
    }
    pos += m[0].length - 1;
  }
  pushLiteral();
  if (parts.length === 0) parts.push(LIT_EMPTY);
  return parts;
}
