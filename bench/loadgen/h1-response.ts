// A small incremental HTTP/1.1 response reader for the bench's own clients: finds each response's
// status and end (Content-Length, chunked, or none for 1xx/204/304) in a stream of chunks, so a
// keep-alive connection can be reused without node:http's per-request objects.

export interface ResponseSink {
  /** One complete final response (1xx interim responses are skipped). */
  onResponse(status: number): void;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

const enum State {
  Head,
  Body,
  ChunkSize,
  ChunkData,
  Trailer,
}

export class H1ResponseReader {
  private buf: Buffer = Buffer.alloc(0);
  private state = State.Head;
  private remaining = 0;
  private status = 0;
  /** Set when a response cannot be framed (no length, not chunked): the connection is unusable. */
  broken: string | null = null;

  reset(): void {
    this.buf = Buffer.alloc(0);
    this.state = State.Head;
    this.remaining = 0;
    this.broken = null;
  }

  feed(chunk: Buffer, sink: ResponseSink): void {
    const b = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let off = 0;
    for (;;) {
      if (this.state === State.Head) {
        const end = b.indexOf(CRLFCRLF, off);
        if (end < 0) break;
        const head = b.toString('latin1', off, end).toLowerCase();
        off = end + 4;
        const status = Number(head.slice(9, 12));
        if (status >= 100 && status < 200) continue;
        this.status = status;
        const cl = /\r\ncontent-length:[ \t]*(\d+)/.exec(head);
        if (/\r\ntransfer-encoding:[^\r]*chunked/.test(head)) {
          this.state = State.ChunkSize;
        } else if (cl !== null) {
          this.remaining = Number(cl[1]);
          this.state = State.Body;
        } else if (status === 204 || status === 304) {
          this.remaining = 0;
          this.state = State.Body;
        } else {
          this.broken = `response ${status} without Content-Length or chunked framing`;
          this.buf = Buffer.alloc(0);
          return;
        }
      }
      if (this.state === State.Body) {
        const take = Math.min(this.remaining, b.length - off);
        off += take;
        this.remaining -= take;
        if (this.remaining > 0) break;
        this.state = State.Head;
        sink.onResponse(this.status);
        continue;
      }
      if (this.state === State.ChunkSize) {
        const eol = b.indexOf(CRLF, off);
        if (eol < 0) break;
        const size = parseInt(b.toString('latin1', off, eol), 16);
        off = eol + 2;
        if (!Number.isFinite(size)) {
          this.broken = 'bad chunk size';
          this.buf = Buffer.alloc(0);
          return;
        }
        if (size === 0) this.state = State.Trailer;
        else {
          this.remaining = size + 2;
          this.state = State.ChunkData;
        }
        continue;
      }
      if (this.state === State.ChunkData) {
        const take = Math.min(this.remaining, b.length - off);
        off += take;
        this.remaining -= take;
        if (this.remaining > 0) break;
        this.state = State.ChunkSize;
        continue;
      }
      // Trailer: lines until an empty one.
      const eol = b.indexOf(CRLF, off);
      if (eol < 0) break;
      const empty = eol === off;
      off = eol + 2;
      if (empty) {
        this.state = State.Head;
        sink.onResponse(this.status);
      }
    }
    this.buf = off >= b.length ? Buffer.alloc(0) : b.subarray(off);
    if (this.buf.length > 0 && this.buf.buffer === chunk.buffer) this.buf = Buffer.from(this.buf);
  }
}

export function requestHead(host: string, port: number, path: string): Buffer {
  return Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUser-Agent: nuncio-bench\r\nAccept: */*\r\n\r\n`, 'latin1');
}
