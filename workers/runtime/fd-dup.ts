// Duplicates a socket descriptor for each worker thread. Node 20 has neither dup() nor SO_REUSEPORT, and
// worker threads that share one fd number break each other when one of them closes it (a worker that
// stops or dies closes the fd for all). A tiny child process sends each handle straight back over IPC,
// and the kernel hands us a new descriptor for the same listening socket every time.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface RawHandle {
  readonly fd: number;
}

export class FdDuplicator {
  private child: ChildProcess | null = null;
  private seq = 0;
  private readonly waiting = new Map<number, (h: RawHandle) => void>();

  private start(): ChildProcess {
    if (this.child && this.child.connected) return this.child;
    const child = fork(fileURLToPath(new URL('./fd-dup-child.js', import.meta.url)), [], {
      execArgv: [],
      serialization: 'json',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    child.on('message', (m: { id: number }, handle: RawHandle) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      w?.(handle);
    });
    child.on('exit', () => {
      if (this.child === child) this.child = null;
    });
    child.unref();
    (child as unknown as { channel?: { unref(): void } }).channel?.unref();
    this.child = child;
    return child;
  }

  /** A new descriptor for the socket behind `handle` (kept open by the caller: never close it while a worker uses it). */
  dup(handle: RawHandle): Promise<RawHandle> {
    const child = this.start();
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error('fd duplicator did not answer'));
      }, 5000);
      this.waiting.set(id, (h) => {
        clearTimeout(t);
        resolve(h);
      });
      child.send({ id }, handle as never, { keepOpen: true }, (err) => {
        if (err) {
          clearTimeout(t);
          this.waiting.delete(id);
          reject(err);
        }
      });
    });
  }

  close(): void {
    this.child?.disconnect();
    this.child = null;
  }
}
