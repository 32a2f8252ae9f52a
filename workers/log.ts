// The admin thread's logger: Envoy's default line format
// `[2026-11-26 16:00:00.123][tid][level][component] message`, filtered by level, to stderr or --log-path.
import fs from 'node:fs';

const ORDER: Record<string, number> = { trace: 0, debug: 1, info: 2, warning: 3, warn: 3, error: 4, critical: 5, off: 6 };

export class Logger {
  private level: number;
  private fd = 2;

  constructor(level: string, path = '') {
    this.level = ORDER[level] ?? 2;
    if (path) this.fd = fs.openSync(path, 'a');
  }

  get levelName(): string {
    return Object.keys(ORDER).find((k) => ORDER[k] === this.level && k !== 'warn') ?? 'info';
  }

  setLevel(level: string): boolean {
    if (!(level in ORDER)) return false;
    this.level = ORDER[level];
    return true;
  }

  enabled(level: string): boolean {
    return (ORDER[level] ?? 2) >= this.level && this.level < 6;
  }

  log(level: string, component: string, msg: string, thread = 0): void {
    if (!this.enabled(level)) return;
    const d = new Date();
    const p = (n: number, w = 2): string => String(n).padStart(w, '0');
    const ts = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
    const name = level === 'warn' ? 'warning' : level;
    try {
      fs.writeSync(this.fd, `[${ts}][${thread}][${name}][${component}] ${msg}\n`);
    } catch {
      // stderr gone: nothing sensible to do
    }
  }

  info(c: string, m: string): void {
    this.log('info', c, m);
  }
  warn(c: string, m: string): void {
    this.log('warning', c, m);
  }
  error(c: string, m: string): void {
    this.log('error', c, m);
  }
  critical(c: string, m: string): void {
    this.log('critical', c, m);
  }
  debug(c: string, m: string): void {
    this.log('debug', c, m);
  }
}
