// Test helper: an H1Handler that records parser events in a split-independent form (adjacent body
// pieces merged), and drivers that feed a message whole, at every split point, or byte by byte.

import { H1Parser, type H1Handler, type H1Limits } from '../../../../core/http/h1/parser.js';

export interface HeadEvent {
  type: 'head';
  status: number;
  method: string;
  target: string;
  versionMinor: number;
  headers: string[];
  flags: number;
  contentLength: number;
}
export interface BodyEvent {
  type: 'body';
  data: string;
}
export interface DoneEvent {
  type: 'done';
  trailers: string[] | null;
}
export interface ErrorEvent {
  type: 'error';
  code: string;
}
export type Event = HeadEvent | BodyEvent | DoneEvent | ErrorEvent;

export class Recorder implements H1Handler {
  events: Event[] = [];
  parser: H1Parser | null = null;
  /** Called on each message completion (e.g. to call expectNoBody for the next response). */
  onDone: ((r: Recorder) => void) | null = null;

  onHead(
    status: number,
    method: string,
    target: string,
    versionMinor: number,
    headers: string[],
    flags: number,
    contentLength: number,
  ): void {
    this.events.push({ type: 'head', status, method, target, versionMinor, headers, flags, contentLength });
  }
  onBody(chunk: Buffer): void {
    const last = this.events[this.events.length - 1];
    const data = chunk.toString('latin1');
    if (last !== undefined && last.type === 'body') last.data += data;
    else this.events.push({ type: 'body', data });
  }
  onMessageComplete(trailers: string[] | null): void {
    this.events.push({ type: 'done', trailers });
    if (this.onDone !== null) this.onDone(this);
  }
  onError(code: string): void {
    this.events.push({ type: 'error', code });
  }

  heads(): HeadEvent[] {
    return this.events.filter((e): e is HeadEvent => e.type === 'head');
  }
  bodies(): string[] {
    return this.events.filter((e): e is BodyEvent => e.type === 'body').map((e) => e.data);
  }
  error(): string | null {
    const e = this.events.find((x): x is ErrorEvent => x.type === 'error');
    return e === undefined ? null : e.code;
  }
}

export const LIMITS: H1Limits = { maxHeaderBytes: 8192, maxHeaders: 100 };

export interface Run {
  rec: Recorder;
  parser: H1Parser;
  /** Sum of execute() results (bytes consumed) until the first -1 or short return. */
  consumed: number;
  /** True if some execute() returned -1. */
  failed: boolean;
}

/** Feeds `chunks` in order, stopping at an error or a short (paused/upgraded) return; then finish() if asked. */
export function feed(
  kind: 'request' | 'response',
  chunks: readonly (string | Buffer)[],
  opts: { limits?: H1Limits; finish?: boolean; setup?: (p: H1Parser, r: Recorder) => void } = {},
): Run {
  const rec = new Recorder();
  const parser = new H1Parser(kind, rec, opts.limits ?? LIMITS);
  rec.parser = parser;
  if (opts.setup) opts.setup(parser, rec);
  let consumed = 0;
  let failed = false;
  for (const c of chunks) {
    const b = typeof c === 'string' ? Buffer.from(c, 'latin1') : c;
    const n = parser.execute(b);
    if (n < 0) {
      failed = true;
      break;
    }
    consumed += n;
    if (n < b.length) break;
  }
  if (!failed && opts.finish) parser.finish();
  return { rec, parser, consumed, failed };
}

/** The input cut into two pieces at `at`. */
export function splitAt(msg: string, at: number): string[] {
  return [msg.slice(0, at), msg.slice(at)];
}

/** The input as one chunk per byte. */
export function bytes(msg: string): string[] {
  return Array.from({ length: msg.length }, (_, i) => msg[i]);
}
