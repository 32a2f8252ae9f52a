// One access log command operator: the Part a format compiles to, and how a Part renders an
// AccessLogRecord (text value, or unset) — shared by the text and JSON formatters.

import type { AccessLogRecord } from './record.js';
import { responseFlagsToLongString, responseFlagsToString } from './response-flags.js';
import type { TimeFormat } from './time-format.js';

export const enum Op {
  Lit,
  StartTime,
  EmitTime,
  ReqHeader,
  RespHeader,
  Trailer,
  Protocol,
  UpstreamProtocol,
  ResponseCode,
  ResponseCodeDetails,
  ResponseFlags,
  ResponseFlagsLong,
  BytesReceived,
  BytesSent,
  Duration,
  RequestDuration,
  RequestTxDuration,
  ResponseDuration,
  ResponseTxDuration,
  Address,
  UpstreamHostName,
  UpstreamCluster,
  UpstreamTransportFailureReason,
  UpstreamRequestAttemptCount,
  ConnectionId,
  RequestedServerName,
  DownstreamTlsVersion,
  DownstreamTlsCipher,
  RouteName,
  Hostname,
  LocalReplyBody,
  UniqueId,
  StreamId,
  RequestHeadersBytes,
  ResponseHeadersBytes,
  ResponseTrailersBytes,
  GrpcStatus,
  Unset,
}

// Header names the record carries as fields rather than in the header lists.
export const enum H {
  Plain,
  Path,
  Method,
  Authority,
  Scheme,
  OriginalPath,
  RequestId,
  Status,
  UpstreamServiceTime,
}

// Address sources and renderings for Op.Address.
export const enum A {
  UpstreamHost,
  UpstreamLocal,
  DownstreamRemote,
  DownstreamDirectRemote,
  DownstreamLocal,
}
export const enum AM {
  WithPort,
  WithoutPort,
  JustPort,
}

export const enum G {
  Camel,
  Snake,
  Number,
}

export class Part {
  constructor(
    readonly op: Op,
    /** Literal text, or the lower-cased main header name. */
    readonly text: string = '',
    /** Lower-cased alternative header name ('' = none). */
    readonly alt: string = '',
    /** Truncation length; -1 = none. */
    readonly max: number = -1,
    /** H code of `text`, A source, G format or RESPONSE_CODE_DETAILS whitespace mode. */
    readonly sel: number = 0,
    /** H code of `alt`, or AM mode. */
    readonly sel2: number = 0,
    readonly time: TimeFormat | null = null,
  ) {}
}

export const LIT_EMPTY = new Part(Op.Lit, '');

function findHeader(h: readonly string[], name: string): string | null {
  for (let i = 0; i < h.length; i += 2) if (h[i] === name) return h[i + 1];
  return null;
}

function nonEmpty(s: string): string | null {
  return s === '' ? null : s;
}

function requestHeader(r: AccessLogRecord, name: string, code: number): string | null {
  switch (code) {
    case H.Path: return r.path !== '' ? r.path : findHeader(r.requestHeaders, name);
    case H.Method: return r.method !== '' ? r.method : findHeader(r.requestHeaders, name);
    case H.Scheme: return r.scheme !== '' ? r.scheme : findHeader(r.requestHeaders, name);
    case H.Authority:
      if (r.authority !== '') return r.authority;
      return findHeader(r.requestHeaders, name) ?? findHeader(r.requestHeaders, 'host');
    case H.OriginalPath:
      return r.originalPath !== '' ? r.originalPath : findHeader(r.requestHeaders, name);
    case H.RequestId: return findHeader(r.requestHeaders, name) ?? nonEmpty(r.requestId);
    default: return findHeader(r.requestHeaders, name);
  }
}

function responseHeader(r: AccessLogRecord, name: string, code: number): string | null {
  switch (code) {
    case H.Status:
      return r.responseCode > 0 ? String(r.responseCode) : findHeader(r.responseHeaders, name);
    case H.UpstreamServiceTime: {
      const v = findHeader(r.responseHeaders, name);
      if (v !== null) return v;
      return r.upstreamServiceTimeMs >= 0 ? String(Math.floor(r.upstreamServiceTimeMs)) : null;
    }
    default: return findHeader(r.responseHeaders, name);
  }
}

function header(p: Part, r: AccessLogRecord): string | null {
  let v: string | null;
  if (p.op === Op.ReqHeader) {
    v = requestHeader(r, p.text, p.sel);
    if (v === null && p.alt !== '') v = requestHeader(r, p.alt, p.sel2);
  } else if (p.op === Op.RespHeader) {
    v = responseHeader(r, p.text, p.sel);
    if (v === null && p.alt !== '') v = responseHeader(r, p.alt, p.sel2);
  } else {
    v = findHeader(r.responseTrailers, p.text);
    if (v === null && p.alt !== '') v = findHeader(r.responseTrailers, p.alt);
  }
  if (v !== null && p.max >= 0 && v.length > p.max) v = v.slice(0, p.max);
  return v;
}

function addressOf(r: AccessLogRecord, src: number): string {
  switch (src) {
    case A.UpstreamHost: return r.upstreamHost;
    case A.UpstreamLocal: return r.upstreamLocalAddress;
    case A.DownstreamRemote: return r.downstreamRemoteAddress;
    case A.DownstreamDirectRemote:
      return r.downstreamDirectRemoteAddress !== '' ? r.downstreamDirectRemoteAddress : r.downstreamRemoteAddress;
    default: return r.downstreamLocalAddress;
  }
}

/** 'ip:port' -> 'ip'; '[v6]:port' -> 'v6'; anything without a port is returned unchanged. */
export function stripPort(a: string): string {
  if (a.charCodeAt(0) === 91 /* [ */) {
    const end = a.indexOf(']');
    return end < 0 ? a : a.slice(1, end);
  }
  const i = a.lastIndexOf(':');
  return i < 0 || a.indexOf(':') !== i ? a : a.slice(0, i);
}

function portOf(a: string): number {
  let i: number;
  if (a.charCodeAt(0) === 91) {
    const end = a.indexOf(']');
    if (end < 0 || a.charCodeAt(end + 1) !== 58) return -1;
    i = end + 1;
  } else {
    i = a.lastIndexOf(':');
    if (i < 0 || a.indexOf(':') !== i) return -1;
  }
  const n = Number(a.slice(i + 1));
  return Number.isInteger(n) && n >= 0 && n <= 65535 && i + 1 < a.length ? n : -1;
}

function headerBytes(h: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < h.length; i++) n += h[i].length;
  return n;
}

const WHITESPACE = /[ \t\f\v\n\r]/g;

const GRPC_CAMEL = ['Ok', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound',
  'AlreadyExists', 'PermissionDenied', 'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange',
  'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated'];
const GRPC_SNAKE = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND',
  'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED',
  'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];

function isGrpcRequest(r: AccessLogRecord): boolean {
  const ct = findHeader(r.requestHeaders, 'content-type');
  if (ct === null || !ct.startsWith('application/grpc')) return false;
  const next = ct.charCodeAt(16);
  return ct.length === 16 || next === 43 /* + */ || next === 59 /* ; */;
}

function httpToGrpc(code: number): number {
  switch (code) {
    case 400: return 13;
    case 401: return 16;
    case 403: return 7;
    case 404: return 12;
    case 429:
    case 502:
    case 503:
    case 504: return 14;
    default: return 2;
  }
}

const GRPC_STATUS_VALUE = /^\s*\+?(\d+)\s*$/;

// Envoy's order: trailers, then headers (trailers-only responses), then the HTTP status.
function grpcStatus(r: AccessLogRecord): number {
  if (!isGrpcRequest(r)) return -1;
  let v = findHeader(r.responseTrailers, 'grpc-status');
  if (v === null || v === '') v = findHeader(r.responseHeaders, 'grpc-status');
  if (v !== null && v !== '') {
    const m = GRPC_STATUS_VALUE.exec(v);
    return m === null ? -1 : Number(m[1]);
  }
  return r.responseCode > 0 ? httpToGrpc(r.responseCode) : -1;
}

function duration(ms: number): string | null {
  return ms < 0 ? null : String(Math.floor(ms));
}

/** The operator's value as text, or null when Envoy would consider it unset. */
export function valueOf(p: Part, r: AccessLogRecord, hostname: string | null): string | null {
  switch (p.op) {
    case Op.Lit: return p.text;
    case Op.StartTime: return (p.time as TimeFormat).format(r.startTimeMs);
    case Op.EmitTime:
      return (p.time as TimeFormat).format(r.startTimeMs + (r.durationMs > 0 ? r.durationMs : 0));
    case Op.ReqHeader:
    case Op.RespHeader:
    case Op.Trailer: return header(p, r);
    case Op.Protocol: return nonEmpty(r.protocol);
    case Op.UpstreamProtocol: return nonEmpty(r.upstreamProtocol);
    case Op.ResponseCode: return String(r.responseCode);
    case Op.ResponseCodeDetails:
      if (r.responseCodeDetails === '') return null;
      return p.sel === 1 ? r.responseCodeDetails : r.responseCodeDetails.replace(WHITESPACE, '_');
    case Op.ResponseFlags: return responseFlagsToString(r.responseFlags);
    case Op.ResponseFlagsLong: return responseFlagsToLongString(r.responseFlags);
    case Op.BytesReceived: return String(r.bytesReceived);
    case Op.BytesSent: return String(r.bytesSent);
    case Op.Duration: return duration(r.durationMs);
    case Op.RequestDuration: return duration(r.requestDurationMs);
    case Op.RequestTxDuration: return duration(r.requestTxDurationMs);
    case Op.ResponseDuration: return duration(r.responseDurationMs);
    case Op.ResponseTxDuration:
      return r.durationMs < 0 || r.responseDurationMs < 0 ? null : duration(r.durationMs - r.responseDurationMs);
    case Op.Address: {
      const a = addressOf(r, p.sel);
      if (a === '') return null;
      if (p.sel2 === AM.WithPort) return a;
      if (p.sel2 === AM.WithoutPort) return stripPort(a);
      const port = portOf(a);
      return port < 0 ? null : String(port);
    }
    case Op.UpstreamHostName: {
      const h = r.upstreamHostname !== '' ? r.upstreamHostname : r.upstreamHost;
      if (h === '') return null;
      return p.sel2 === AM.WithoutPort ? stripPort(h) : h;
    }
    case Op.UpstreamCluster: return nonEmpty(r.upstreamCluster);
    case Op.UpstreamTransportFailureReason:
      return r.upstreamTransportFailureReason === '' ? null : r.upstreamTransportFailureReason.replaceAll(' ', '_');
    case Op.UpstreamRequestAttemptCount: return String(r.upstreamRequestAttemptCount);
    case Op.ConnectionId: return String(r.connectionId);
    case Op.RequestedServerName: return nonEmpty(r.requestedServerName);
    case Op.DownstreamTlsVersion: return nonEmpty(r.downstreamTlsVersion);
    case Op.DownstreamTlsCipher: return nonEmpty(r.downstreamTlsCipher);
    case Op.RouteName: return nonEmpty(r.routeName);
    case Op.Hostname: return hostname;
    case Op.LocalReplyBody: return r.localReplyBody;
    case Op.UniqueId: return globalThis.crypto.randomUUID();
    case Op.StreamId: return nonEmpty(r.requestId);
    case Op.RequestHeadersBytes: return String(headerBytes(r.requestHeaders));
    case Op.ResponseHeadersBytes: return String(headerBytes(r.responseHeaders));
    case Op.ResponseTrailersBytes: return String(headerBytes(r.responseTrailers));
    case Op.GrpcStatus: {
      const s = grpcStatus(r);
      if (s < 0) return null;
      if (p.sel === G.Number || s > 16) return String(s);
      return p.sel === G.Camel ? GRPC_CAMEL[s] : GRPC_SNAKE[s];
    }
    default: return null;
  }
}

/** Whether typed JSON renders the operator as a JSON number. */
export function isNumeric(p: Part): boolean {
  switch (p.op) {
    case Op.ResponseCode:
    case Op.BytesReceived:
    case Op.BytesSent:
    case Op.Duration:
    case Op.RequestDuration:
    case Op.RequestTxDuration:
    case Op.ResponseDuration:
    case Op.ResponseTxDuration:
    case Op.UpstreamRequestAttemptCount:
    case Op.ConnectionId:
    case Op.RequestHeadersBytes:
    case Op.ResponseHeadersBytes:
    case Op.ResponseTrailersBytes:
      return true;
    case Op.Address: return p.sel2 === AM.JustPort;
    case Op.GrpcStatus: return p.sel === G.Number;
    default: return false;
  }
}
