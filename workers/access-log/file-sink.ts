// AccessLogSink: buffered, non-blocking writer of access log entries to a file, '/dev/stdout' or
// '/dev/stderr'. One sink per thread; several sinks may share a path without interleaving lines.

import { close, fstat, open, write } from 'node:fs';

/** Writes to a pipe of at most this many bytes are atomic (POSIX PIPE_BUF on Linux). */
const PIPE_BUF = 4096;
/** Largest batch, in UTF-16 units, encoded and written at once. */
const MAX_BATCH_CHARS = 1 << 20;
const EAGAIN_RETRY_MS = 5;
const NO_BYTES = Buffer.alloc(0);

export interface AccessLogSinkOptions {
  /** How long a written entry may wait in memory; default 250 ms. */
  readonly flushIntervalMs?: number;
  /** Buffered size (UTF-16 units) that triggers an immediate flush; default 64 KiB. */
  readonly flushThreshold?: number;
  /** Buffered size beyond which new entries are dropped and counted; default 64 MiB. */
  readonly maxBuffered?: number;
  /** Called with the first open/write error only; later errors are just counted. */
  readonly onError?: (err: Error) => void;
}

function defaultOnError(err: Error): void {
  process.emitWarning(err.message, 'AccessLogWarning');
}

export class AccessLogSink {
  readonly path: string;
  /** Open and write errors seen (EAGAIN retries are not errors). */
  errors = 0;
  /** Entries lost: written after close, over the buffer limit, or in a failed write. */
  droppedLines = 0;

  private readonly flushIntervalMs: number;
  private readonly flushThreshold: number;
  private readonly maxBuffered: number;
  private readonly onError: (err: Error) => void;

  private fd = -1;
  /** Whether this sink opened fd itself (and must close it). */
  private ownsFd = false;
  /** Not a regular file: chunk writes to whole lines of at most PIPE_BUF bytes. */
  private pipeLike = true;
  private opening = false;

  private lines: string[] = [];
  private buffered = 0;

  private writing = false;
  private buf: Buffer = NO_BYTES;
  private bufPos = 0;
  /** Byte offsets of line ends in buf (pipe-like targets with buf > PIPE_BUF only). */
  private ends: number[] | null = null;
  private endIdx = 0;

  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private waiters: Array<() => void> = [];
  private closed = false;
  private closeDone: Promise<void> | null = null;
  private closeResolve: (() => void) | null = null;
  private errorReported = false;

  // Callbacks bound once so the write path allocates no closures.
  private readonly onTimer = (): void => {
    this.timer = null;
    this.pump();
  };
  private readonly onImmediate = (): void => {
    this.immediate = null;
    this.pump();
  };
  private readonly onRetry = (): void => this.writeNext();
  private readonly onWritten = (err: NodeJS.ErrnoException | null, written: number): void =>
    this.afterWrite(err, written);

  constructor(path: string, opts: AccessLogSinkOptions = {}) {
    this.path = path;
    this.flushIntervalMs = opts.flushIntervalMs ?? 250;
    this.flushThreshold = opts.flushThreshold ?? 64 * 1024;
    this.maxBuffered = opts.maxBuffered ?? 64 * 1024 * 1024;
    this.onError = opts.onError ?? defaultOnError;
  }

  /** Queues one entry (normally a line ending in '\n'). Never throws, never blocks. */
  write(line: string): void {
    if (this.closed || this.buffered + line.length > this.maxBuffered) {
      this.droppedLines++;
      return;
    }
    if (line.length === 0) return;
    this.lines.push(line);
    this.buffered += line.length;
    if (this.writing || this.opening) return;
    if (this.buffered >= this.flushThreshold) {
      if (this.immediate === null) this.immediate = setImmediate(this.onImmediate);
    } else if (this.timer === null) {
      this.timer = setTimeout(this.onTimer, this.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** Resolves once every entry written so far has been written out (or counted as dropped). */
  flush(): Promise<void> {
    if (this.lines.length === 0 && !this.writing && !this.opening) return Promise.resolve();
    const p = new Promise<void>((resolve) => this.waiters.push(resolve));
    this.cancelTimer();
    this.pump();
    return p;
  }

  /** Flushes everything, then closes the file. Later writes are dropped. Idempotent. */
  close(): Promise<void> {
    if (this.closeDone !== null) return this.closeDone;
    this.closed = true;
    this.cancelTimer();
    this.closeDone = new Promise<void>((resolve) => {
      this.closeResolve = resolve;
    });
    this.pump();
    return this.closeDone;
  }

  private cancelTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private report(err: Error): void {
    this.errors++;
    if (this.errorReported) return;
    this.errorReported = true;
    try {
      this.onError(err);
    } catch {
      // The callback's own failure must not reach the request path.
    }
  }

  private pump(): void {
    if (this.writing || this.opening) return;
    if (this.lines.length === 0) {
      this.idle();
      return;
    }
    if (this.fd < 0) {
      this.startOpen();
      return;
    }
    this.startBatch();
  }

  private idle(): void {
    const waiters = this.waiters;
    if (waiters.length > 0) {
      this.waiters = [];
      for (const w of waiters) w();
    }
    if (!this.closed || this.closeResolve === null) return;
    const resolve = this.closeResolve;
    this.closeResolve = null;
    if (this.timer !== null) this.cancelTimer();
    if (this.fd >= 0 && this.ownsFd) {
      const fd = this.fd;
      this.fd = -1;
      close(fd, (err) => {
        if (err) this.report(err);
        resolve();
      });
    } else {
      this.fd = -1;
      resolve();
    }
  }

  private startOpen(): void {
    this.opening = true;
    // Like Envoy, the standard streams are used as they are rather than reopened: /dev/stdout
    // may be a socket (not openable) or a file whose offset other writers share.
    if (this.path === '/dev/stdout' || this.path === '/dev/stderr') {
      this.opened(null, this.path === '/dev/stdout' ? 1 : 2, false);
      return;
    }
    try {
      open(this.path, 'a', (err, fd) => this.opened(err, fd, true));
    } catch (err) {
      // Invalid paths (e.g. containing NUL) throw synchronously.
      this.opened(err as NodeJS.ErrnoException, -1, true);
    }
  }

  private opened(err: NodeJS.ErrnoException | null, fd: number, owns: boolean): void {
    if (err) {
      this.opening = false;
      this.report(err);
      // Drop what is buffered so memory stays bounded; a later write retries the open.
      this.droppedLines += this.lines.length;
      this.lines = [];
      this.buffered = 0;
      this.pump();
      return;
    }
    fstat(fd, (serr, st) => {
      this.opening = false;
      this.fd = fd;
      this.ownsFd = owns;
      // O_APPEND writes to a regular file are atomic whatever their size; pipes, ttys and
      // sockets only up to PIPE_BUF.
      this.pipeLike = serr !== null || !st.isFile();
      this.pump();
    });
  }

  private startBatch(): void {
    const lines = this.lines;
    let take = lines.length;
    let chars = 0;
    for (let i = 0; i < lines.length; i++) {
      chars += lines[i].length;
      if (chars >= MAX_BATCH_CHARS) {
        take = i + 1;
        break;
      }
    }
    const batch = take === lines.length ? lines : lines.slice(0, take);
    this.lines = take === lines.length ? [] : lines.slice(take);
    this.buffered -= chars;
    const buf = Buffer.from(batch.length === 1 ? batch[0] : batch.join(''), 'utf8');
    let ends: number[] | null = null;
    if (this.pipeLike && buf.length > PIPE_BUF) {
      ends = new Array<number>(batch.length);
      let off = 0;
      for (let i = 0; i < batch.length; i++) {
        off += Buffer.byteLength(batch[i], 'utf8');
        ends[i] = off;
      }
    }
    this.buf = buf;
    this.bufPos = 0;
    this.ends = ends;
    this.endIdx = 0;
    this.writing = true;
    this.writeNext();
  }

  private writeNext(): void {
    const start = this.bufPos;
    let end = this.buf.length;
    const ends = this.ends;
    if (ends !== null) {
      let i = this.endIdx;
      while (ends[i] <= start) i++;
      // Whole lines up to PIPE_BUF bytes; a single longer line goes alone.
      while (i + 1 < ends.length && ends[i + 1] - start <= PIPE_BUF) i++;
      this.endIdx = i;
      end = ends[i];
    }
    write(this.fd, this.buf, start, end - start, null, this.onWritten);
  }

  private afterWrite(err: NodeJS.ErrnoException | null, written: number): void {
    if (err) {
      if (err.code === 'EAGAIN' || err.code === 'EWOULDBLOCK') {
        // A non-blocking pipe is full; a write of at most PIPE_BUF is retried whole later.
        setTimeout(this.onRetry, EAGAIN_RETRY_MS);
        return;
      }
      this.report(err);
      this.droppedLines += this.linesLeftInBatch();
      this.finishBatch();
      return;
    }
    if (written === 0) {
      setTimeout(this.onRetry, EAGAIN_RETRY_MS);
      return;
    }
    this.bufPos += written;
    if (this.bufPos >= this.buf.length) this.finishBatch();
    else this.writeNext();
  }

  private linesLeftInBatch(): number {
    const ends = this.ends;
    if (ends === null) {
      // Without offsets, count the line terminators not yet written.
      let n = 0;
      for (let i = this.bufPos; i < this.buf.length; i++) if (this.buf[i] === 10) n++;
      return n > 0 ? n : 1;
    }
    let n = 0;
    for (let i = 0; i < ends.length; i++) if (ends[i] > this.bufPos) n++;
    return n;
  }

  private finishBatch(): void {
    this.writing = false;
    this.buf = NO_BYTES;
    this.ends = null;
    if (this.lines.length === 0) {
      this.idle();
    } else if (this.closed || this.waiters.length > 0 || this.buffered >= this.flushThreshold) {
      this.startBatch();
    } else if (this.timer === null) {
      this.timer = setTimeout(this.onTimer, this.flushIntervalMs);
      this.timer.unref();
    }
  }
}
