// START_TIME formatting: Envoy's default ISO-8601 form and its strftime-like custom formats
// (absl::FormatTime specifiers plus Envoy's %s, %f, %[1-9]f, %*f, %E[1-9*]S, %E[1-9*]f).

// Everything that depends only on the second is rendered once per second and cached; only the
// sub-second pieces are produced per call.

const enum Tok {
  Lit = 0,
  Spec = 1,
  Epoch = 2,
  Sub = 3,
}

interface Token {
  readonly kind: Tok;
  /** Literal text (Lit) or specifier name (Spec), e.g. 'Y', 'Ez', 'E4Y'. */
  readonly text: string;
  /** Sub: digit count 1-9, or 0 for "as many as needed" (trailing zeros dropped). */
  readonly width: number;
  /** Sub: emit '.' before the digits, and nothing at all when dynamic and zero (%E#S, %E*S). */
  readonly dot: boolean;
}

/** Envoy's default START_TIME rendering: 2016-04-15T20:17:00.310Z. */
export const DEFAULT_TIME_FORMAT = '%Y-%m-%dT%H:%M:%E3SZ';

const NEWLINE_SPEC = /%[-_0^#]*[1-9]*(E|O)?n/;

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September',
  'October', 'November', 'December'];

const PAD3: string[] = [];
for (let i = 0; i < 1000; i++) PAD3.push(i < 10 ? '00' + i : i < 100 ? '0' + i : String(i));

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

function sp2(n: number): string {
  return n < 10 ? ' ' + n : String(n);
}

/** Config-time check of a START_TIME(...) argument; null when acceptable. */
export function checkTimeFormat(spec: string): string | null {
  // Envoy rejects newline specifiers because the same formatter feeds header values.
  if (NEWLINE_SPEC.test(spec)) return 'Invalid header configuration. Format string contains newline.';
  return null;
}

function lit(text: string): Token {
  return { kind: Tok.Lit, text, width: 0, dot: false };
}

function spec(text: string): Token {
  return { kind: Tok.Spec, text, width: 0, dot: false };
}

function sub(width: number, dot: boolean): Token {
  return { kind: Tok.Sub, text: '', width, dot };
}

const E_PLAIN = 'cCxXyY';
const O_PLAIN = 'deHImMSuUVwWy';

function tokenize(fmt: string): Token[] {
  const out: Token[] = [];
  let text = '';
  const flush = (): void => {
    if (text !== '') out.push(lit(text));
    text = '';
  };
  const n = fmt.length;
  for (let i = 0; i < n; i++) {
    const c = fmt[i];
    if (c !== '%' || i + 1 >= n) {
      text += c;
      continue;
    }
    const d = fmt[i + 1];
    if (d === '%') {
      text += '%';
      i++;
      continue;
    }
    if (d === 's') {
      flush();
      out.push({ kind: Tok.Epoch, text: '', width: 0, dot: false });
      i++;
      continue;
    }
    if (d === 'f') {
      flush();
      out.push(sub(9, false));
      i++;
      continue;
    }
    if ((d === '*' || (d >= '1' && d <= '9')) && fmt[i + 2] === 'f') {
      flush();
      out.push(sub(d === '*' ? 0 : d.charCodeAt(0) - 48, false));
      i += 2;
      continue;
    }
    if (d === 'E') {
      const w = fmt[i + 2];
      const k = fmt[i + 3];
      if ((w === '*' || (w >= '1' && w <= '9')) && (k === 'S' || k === 'f')) {
        flush();
        const width = w === '*' ? 0 : w.charCodeAt(0) - 48;
        if (k === 'S') {
          out.push(spec('S'));
          out.push(sub(width, true));
        } else {
          out.push(sub(width, false));
        }
        i += 3;
        continue;
      }
      if (w === '4' && k === 'Y') {
        flush();
        out.push(spec('E4Y'));
        i += 3;
        continue;
      }
      if (w === 'z') {
        flush();
        out.push(spec('Ez'));
        i += 2;
        continue;
      }
      if (w !== undefined && E_PLAIN.includes(w)) {
        flush();
        out.push(spec(w));
        i += 2;
        continue;
      }
    }
    if (d === 'O') {
      const w = fmt[i + 2];
      if (w !== undefined && O_PLAIN.includes(w)) {
        flush();
        out.push(spec(w));
        i += 2;
        continue;
      }
    }
    flush();
    out.push(spec(d));
    i++;
  }
  flush();
  return out;
}

/** Broken-down time of one second, UTC or local. */
interface Fields {
  Y: number;
  mo: number; // 1-12
  d: number;
  H: number;
  M: number;
  S: number;
  wday: number; // 0 = Sunday
  yday: number; // 0-based
  offMin: number; // minutes east of UTC
  epoch: number; // seconds
}

function fieldsOf(sec: number, local: boolean): Fields {
  const t = new Date(sec * 1000);
  if (local) {
    const Y = t.getFullYear();
    const mo = t.getMonth();
    const d = t.getDate();
    return {
      Y, mo: mo + 1, d, H: t.getHours(), M: t.getMinutes(), S: t.getSeconds(), wday: t.getDay(),
      yday: Math.round((Date.UTC(Y, mo, d) - Date.UTC(Y, 0, 1)) / 86400000),
      offMin: -t.getTimezoneOffset(), epoch: sec,
    };
  }
  const Y = t.getUTCFullYear();
  const mo = t.getUTCMonth();
  const d = t.getUTCDate();
  return {
    Y, mo: mo + 1, d, H: t.getUTCHours(), M: t.getUTCMinutes(), S: t.getUTCSeconds(), wday: t.getUTCDay(),
    yday: Math.round((Date.UTC(Y, mo, d) - Date.UTC(Y, 0, 1)) / 86400000), offMin: 0, epoch: sec,
  };
}

function isoWeek(f: Fields): { year: number; week: number } {
  const dow = f.wday === 0 ? 7 : f.wday;
  const thursday = Date.UTC(f.Y, f.mo - 1, f.d + 4 - dow);
  const year = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / 86400000 / 7) + 1;
  return { year, week };
}

function offset(f: Fields, colon: boolean): string {
  const sign = f.offMin < 0 ? '-' : '+';
  const a = Math.abs(f.offMin);
  return sign + pad2(Math.floor(a / 60)) + (colon ? ':' : '') + pad2(a % 60);
}

function renderSpec(s: string, f: Fields, local: boolean): string {
  switch (s) {
    case 'Y': return String(f.Y);
    case 'E4Y': return f.Y < 0 ? '-' + String(-f.Y).padStart(3, '0') : String(f.Y).padStart(4, '0');
    case 'C': return pad2(Math.floor(f.Y / 100));
    case 'y': return pad2(((f.Y % 100) + 100) % 100);
    case 'm': return pad2(f.mo);
    case 'd': return pad2(f.d);
    case 'e': return sp2(f.d);
    case 'H': return pad2(f.H);
    case 'k': return sp2(f.H);
    case 'I': return pad2(f.H % 12 === 0 ? 12 : f.H % 12);
    case 'l': return sp2(f.H % 12 === 0 ? 12 : f.H % 12);
    case 'M': return pad2(f.M);
    case 'S': return pad2(f.S);
    case 'p': return f.H < 12 ? 'AM' : 'PM';
    case 'j': return PAD3[f.yday + 1];
    case 'a': return DAYS[f.wday].slice(0, 3);
    case 'A': return DAYS[f.wday];
    case 'b':
    case 'h': return MONTHS[f.mo - 1].slice(0, 3);
    case 'B': return MONTHS[f.mo - 1];
    case 'u': return String(f.wday === 0 ? 7 : f.wday);
    case 'w': return String(f.wday);
    case 'U': return pad2(Math.floor((f.yday + 7 - f.wday) / 7));
    case 'W': return pad2(Math.floor((f.yday + 7 - ((f.wday + 6) % 7)) / 7));
    case 'V': return pad2(isoWeek(f).week);
    case 'G': return String(isoWeek(f).year);
    case 'g': return pad2(isoWeek(f).year % 100);
    case 'F': return f.Y + '-' + pad2(f.mo) + '-' + pad2(f.d);
    case 'T':
    case 'X': return pad2(f.H) + ':' + pad2(f.M) + ':' + pad2(f.S);
    case 'R': return pad2(f.H) + ':' + pad2(f.M);
    case 'r': return renderSpec('I', f, local) + ':' + pad2(f.M) + ':' + pad2(f.S) + ' ' + renderSpec('p', f, local);
    case 'D':
    case 'x': return pad2(f.mo) + '/' + pad2(f.d) + '/' + renderSpec('y', f, local);
    case 'c': return DAYS[f.wday].slice(0, 3) + ' ' + MONTHS[f.mo - 1].slice(0, 3) + ' ' + sp2(f.d) + ' ' +
      pad2(f.H) + ':' + pad2(f.M) + ':' + pad2(f.S) + ' ' + f.Y;
    case 'z': return offset(f, false);
    case 'Ez': return offset(f, true);
    case 'Z': return local && f.offMin !== 0 ? offset(f, false) : 'UTC';
    case 'n': return '\n';
    case 't': return '\t';
    default: return '%' + s;
  }
}

/** A compiled START_TIME format. Not shared across threads; each formatter owns its cache. */
export class TimeFormat {
  private readonly tokens: readonly Token[];
  private readonly subs: readonly Token[];
  private readonly local: boolean;
  private cachedSec = Number.NaN;
  private chunks: string[] = [];

  /** `spec` '' means Envoy's default format. `local` renders in the process time zone. */
  constructor(spec: string, local = false) {
    this.tokens = tokenize(spec === '' ? DEFAULT_TIME_FORMAT : spec);
    this.subs = this.tokens.filter((t) => t.kind === Tok.Sub);
    this.local = local;
  }

  format(ms: number): string {
    const sec = Math.floor(ms / 1000);
    if (sec !== this.cachedSec) this.refresh(sec);
    const chunks = this.chunks;
    const subs = this.subs;
    if (subs.length === 0) return chunks[0];
    const milli = Math.floor(ms - sec * 1000);
    let out = chunks[0];
    for (let i = 0; i < subs.length; i++) out += subsecond(subs[i], milli) + chunks[i + 1];
    return out;
  }

  private refresh(sec: number): void {
    const f = fieldsOf(sec, this.local);
    const chunks: string[] = [];
    let cur = '';
    for (const t of this.tokens) {
      switch (t.kind) {
        case Tok.Lit: cur += t.text; break;
        case Tok.Spec: cur += renderSpec(t.text, f, this.local); break;
        case Tok.Epoch: cur += String(f.epoch); break;
        case Tok.Sub:
          chunks.push(cur);
          cur = '';
          break;
      }
    }
    chunks.push(cur);
    this.chunks = chunks;
    this.cachedSec = sec;
  }
}

// Record times have millisecond resolution, so digits beyond the third are always zero.
function subsecond(t: Token, milli: number): string {
  const ms3 = PAD3[milli];
  let digits: string;
  if (t.width === 0) {
    if (milli === 0) return t.dot ? '' : '0';
    digits = milli % 100 === 0 ? ms3.slice(0, 1) : milli % 10 === 0 ? ms3.slice(0, 2) : ms3;
  } else if (t.width <= 3) {
    digits = t.width === 3 ? ms3 : ms3.slice(0, t.width);
  } else {
    digits = ms3 + '000000'.slice(0, t.width - 3);
  }
  return t.dot ? '.' + digits : digits;
}
