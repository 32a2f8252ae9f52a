// RE2 patterns (Envoy's safe_regex) run on JS RegExp: an RE2-syntax parser that rejects what RE2
// rejects, an estimate of RE2's program size (Envoy refuses programs over 100 instructions), a
// translation to an equivalent `u`-mode JS source, and RE2::GlobalReplace for regex rewrites.

export interface RegexError {
  readonly error: string;
}

/** Envoy's default `re2.max_program_size.error_level`. */
export const RE2_MAX_PROGRAM_SIZE = 100;

const MAX_CP = 0x10ffff;
const MAX_REPEAT = 1000;

// ---------------------------------------------------------------------------------------------
// AST

type Node =
  | { readonly t: 'lit'; readonly cp: number; readonly fold: boolean }
  | {
      readonly t: 'cls';
      readonly ranges: readonly number[];
      readonly props: readonly string[];
      readonly anyByte?: true; // \C
    }
  | { readonly t: 'empty'; readonly k: 'bot' | 'eot' | 'bol' | 'eol' | 'wb' | 'nwb' }
  | { readonly t: 'grp'; readonly cap: boolean; readonly body: Node }
  | { readonly t: 'cat'; readonly items: readonly Node[] }
  | { readonly t: 'alt'; readonly items: readonly Node[] }
  | {
      readonly t: 'rep';
      readonly min: number;
      readonly max: number; // -1 = unbounded
      readonly greedy: boolean;
      readonly counted: boolean; // {n,m} form (counts towards RE2's nesting limit)
      readonly body: Node;
    };

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

class ParseError extends Error {}

function fail(code: string, arg: string, hint?: string): never {
  throw new ParseError(hint === undefined ? `${code}: ${arg}` : `${code}: ${arg} (${hint})`);
}

// ---------------------------------------------------------------------------------------------
// Code-point range sets: flat sorted [lo0, hi0, lo1, hi1, ...], inclusive, merged.

function normRanges(r: number[]): number[] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < r.length; i += 2) pairs.push([r[i], r[i + 1]]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    const n = out.length;
    if (n > 0 && lo <= out[n - 1] + 1) {
      if (hi > out[n - 1]) out[n - 1] = hi;
    } else {
      out.push(lo, hi);
    }
  }
  return out;
}

function negateRanges(r: readonly number[]): number[] {
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i < r.length; i += 2) {
    if (r[i] > next) out.push(next, r[i] - 1);
    next = r[i + 1] + 1;
  }
  if (next <= MAX_CP) out.push(next, MAX_CP);
  return out;
}

// Case orbits that one-to-one toLowerCase/toUpperCase does not reveal.
const EXTRA_FOLDS: readonly (readonly number[])[] = [
  [0x4b, 0x6b, 0x212a],
  [0x53, 0x73, 0x17f],
  [0xc5, 0xe5, 0x212b],
  [0xb5, 0x39c, 0x3bc],
  [0x398, 0x3b8, 0x3d1, 0x3f4],
  [0x3a3, 0x3c2, 0x3c3],
];

function caseVariants(cp: number, out: number[]): void {
  const s = String.fromCodePoint(cp);
  const lo = s.toLowerCase();
  const up = s.toUpperCase();
  const l = lo.codePointAt(0)!;
  const u = up.codePointAt(0)!;
  if (l !== cp && String.fromCodePoint(l) === lo) out.push(l, l);
  if (u !== cp && String.fromCodePoint(u) === up) out.push(u, u);
  for (const orbit of EXTRA_FOLDS) {
    if (orbit.includes(cp)) for (const o of orbit) out.push(o, o);
  }
}

/** Adds case variants of every code point; very wide ranges only get their ASCII/Latin-1 part folded. */
function foldRanges(r: readonly number[]): number[] {
  const out = r.slice();
  for (let i = 0; i < r.length; i += 2) {
    const lo = r[i];
    const hi = r[i + 1];
    const end = hi - lo > 0x3000 ? Math.min(hi, 0x24f) : hi;
    for (let cp = lo; cp <= end; cp++) caseVariants(cp, out);
  }
  return normRanges(out);
}

const PERL: Record<string, readonly number[]> = {
  d: [0x30, 0x39],
  s: [0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x20],
  w: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a],
};

const POSIX: Record<string, readonly number[]> = {
  alnum: [0x30, 0x39, 0x41, 0x5a, 0x61, 0x7a],
  alpha: [0x41, 0x5a, 0x61, 0x7a],
  ascii: [0x00, 0x7f],
  blank: [0x09, 0x09, 0x20, 0x20],
  cntrl: [0x00, 0x1f, 0x7f, 0x7f],
  digit: [0x30, 0x39],
  graph: [0x21, 0x7e],
  lower: [0x61, 0x7a],
  print: [0x20, 0x7e],
  punct: [0x21, 0x2f, 0x3a, 0x40, 0x5b, 0x60, 0x7b, 0x7e],
  space: [0x09, 0x0d, 0x20, 0x20],
  upper: [0x41, 0x5a],
  word: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a],
  xdigit: [0x30, 0x39, 0x41, 0x46, 0x61, 0x66],
};

const GENERAL_CATEGORIES = new Set([
  'C', 'Cc', 'Cf', 'Co', 'Cs', 'L', 'Ll', 'Lm', 'Lo', 'Lt', 'Lu', 'M', 'Mc', 'Me', 'Mn', 'N', 'Nd',
  'Nl', 'No', 'P', 'Pc', 'Pd', 'Pe', 'Pf', 'Pi', 'Po', 'Ps', 'S', 'Sc', 'Sk', 'Sm', 'So', 'Z', 'Zl',
  'Zp', 'Zs',
]);

/** JS class item for an RE2 Unicode class name, or null when RE2 does not know the name. */
function unicodeProp(name: string, negated: boolean): string | null {
  let js: string;
  if (GENERAL_CATEGORIES.has(name)) js = name;
  else if (/^[A-Z][A-Za-z_]+$/.test(name)) js = `Script=${name}`;
  else return null;
  const item = `\\${negated ? 'P' : 'p'}{${js}}`;
  try {
    new RegExp(`[${item}]`, 'u');
  } catch {
    return null;
  }
  return item;
}

// ---------------------------------------------------------------------------------------------
// Parser

interface Atom {
  node: Node;
  /** Literals that precede `node` and that a following quantifier does not bind (\Q...\E). */
  before?: Node[];
}

class Parser {
  private pos = 0;
  captures = 0;

  constructor(private readonly src: string) {}

  parse(): Node {
    const flags: Flags = { i: false, m: false, s: false, U: false };
    const node = this.parseAlt(flags, 0);
    if (this.pos < this.src.length) fail('unexpected )', this.src);
    return node;
  }

  private peek(off = 0): number {
    const i = this.pos + off;
    return i < this.src.length ? this.src.charCodeAt(i) : -1;
  }

  private nextCp(): number {
    const cp = this.src.codePointAt(this.pos)!;
    this.pos += cp > 0xffff ? 2 : 1;
    return cp;
  }

  private parseAlt(flags: Flags, depth: number): Node {
    const branches: Node[] = [];
    let items: Node[] = [];
    for (;;) {
      const c = this.peek();
      if (c === -1 || c === 0x29 /* ) */) {
        if (c === 0x29 && depth === 0) fail('unexpected )', this.src);
        break;
      }
      if (c === 0x7c /* | */) {
        this.pos++;
        branches.push(catOf(items));
        items = [];
        continue;
      }
      const atom = this.parseAtom(flags, depth);
      if (atom === null) continue;
      if (atom.before !== undefined) items.push(...atom.before);
      items.push(this.parseRepeats(atom.node, flags));
    }
    branches.push(catOf(items));
    return branches.length === 1 ? branches[0] : { t: 'alt', items: branches };
  }

  /** Reads `{n}`, `{n,}`, `{n,m}` at pos; returns [min, max, length] or null when not a repeat. */
  private readBraces(): [number, number, number] | null {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos, this.pos + 24));
    if (m === null) return null;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
    return [min, max, m[0].length];
  }

  private isRepeatAt(): number {
    const c = this.peek();
    if (c === 0x2a || c === 0x2b || c === 0x3f) return 1;
    if (c === 0x7b) {
      const b = this.readBraces();
      if (b !== null) return b[2];
    }
    return 0;
  }

  private parseRepeats(node: Node, flags: Flags): Node {
    let len = this.isRepeatAt();
    if (len === 0) return node;
    const start = this.pos;
    const c = this.peek();
    let min: number;
    let max: number;
    let counted = false;
    if (c === 0x2a) [min, max] = [0, -1];
    else if (c === 0x2b) [min, max] = [1, -1];
    else if (c === 0x3f) [min, max] = [0, 1];
    else {
      [min, max] = this.readBraces()!;
      counted = true;
    }
    this.pos += len;
    let lazy = false;
    if (this.peek() === 0x3f) {
      lazy = true;
      this.pos++;
    }
    const opText = this.src.slice(start, this.pos);
    len = this.isRepeatAt();
    if (len !== 0) fail('bad repetition operator', opText + this.src.slice(this.pos, this.pos + len));
    if (counted && (min > MAX_REPEAT || max > MAX_REPEAT || (max !== -1 && max < min))) {
      fail('invalid repetition size', opText);
    }
    const rep: Node = { t: 'rep', min, max, greedy: lazy === flags.U, counted, body: node };
    if (counted && nestedRepeat(rep) > MAX_REPEAT) fail('invalid repetition size', opText);
    return rep;
  }

  private parseAtom(flags: Flags, depth: number): Atom | null {
    const start = this.pos;
    const c = this.peek();
    switch (c) {
      case 0x28: // (
        return this.parseGroup(flags, depth);
      case 0x5b: // [
        return { node: this.parseClass(flags) };
      case 0x2e: // .
        this.pos++;
        return { node: { t: 'cls', ranges: flags.s ? [0, MAX_CP] : [0, 9, 11, MAX_CP], props: [] } };
      case 0x5e: // ^
        this.pos++;
        return { node: { t: 'empty', k: flags.m ? 'bol' : 'bot' } };
      case 0x24: // $
        this.pos++;
        return { node: { t: 'empty', k: flags.m ? 'eol' : 'eot' } };
      case 0x2a:
      case 0x2b:
      case 0x3f:
        fail('no argument for repetition operator', this.src[this.pos]);
      // falls through (unreachable)
      case 0x7b: {
        const b = this.readBraces();
        if (b !== null) fail('no argument for repetition operator', this.src.slice(start, start + b[2]));
        this.pos++;
        return { node: lit(0x7b, flags) };
      }
      case 0x5c: // backslash
        return this.parseEscapeAtom(flags);
      default:
        return { node: lit(this.nextCp(), flags) };
    }
  }

  private parseGroup(flags: Flags, depth: number): Atom | null {
    const start = this.pos;
    this.pos++; // (
    if (this.peek() !== 0x3f /* ? */) {
      this.captures++;
      const body = this.parseAlt({ ...flags }, depth + 1);
      this.expectClose(start);
      return { node: { t: 'grp', cap: true, body } };
    }
    const rest = this.src.slice(this.pos);
    let name: string | null = null;
    let nameLen = 0;
    if (rest.startsWith('?P<') || rest.startsWith('?<')) {
      const open = rest.startsWith('?P<') ? 3 : 2;
      if (open === 2 && (rest[2] === '=' || rest[2] === '!')) {
        fail('invalid perl operator', '(?<', 'lookbehind is not supported by RE2');
      }
      const close = rest.indexOf('>', open);
      if (close < 0) fail('invalid named capture group', '(' + rest);
      name = rest.slice(open, close);
      nameLen = close + 1;
      if (name === '' || !/^[\p{L}\p{N}_]+$/u.test(name)) {
        fail('invalid named capture group', '(' + rest.slice(0, nameLen));
      }
    }
    if (name !== null) {
      this.pos += nameLen;
      this.captures++;
      const body = this.parseAlt({ ...flags }, depth + 1);
      this.expectClose(start);
      return { node: { t: 'grp', cap: true, body } };
    }
    const op = rest.slice(0, 2);
    if (op === '?=' || op === '?!') fail('invalid perl operator', '(' + op, 'lookahead is not supported by RE2');
    if (rest.startsWith('?P')) {
      fail('invalid perl operator', '(?P', 'backreferences and recursion are not supported by RE2');
    }
    // Flag group: (?flags) or (?flags:re)
    let i = 1;
    let neg = false;
    let sawFlag = false;
    const nf: Flags = { ...flags };
    for (;;) {
      const ch = rest[i];
      if (ch === undefined) fail('invalid perl operator', '(' + rest);
      if (ch === 'i' || ch === 'm' || ch === 's' || ch === 'U') {
        nf[ch] = !neg;
        sawFlag = true;
        i++;
        continue;
      }
      if (ch === '-') {
        if (neg) fail('invalid perl operator', '(' + rest.slice(0, i + 1));
        neg = true;
        sawFlag = false;
        i++;
        continue;
      }
      if (ch === ')' || ch === ':') {
        if (neg && !sawFlag) fail('invalid perl operator', '(' + rest.slice(0, i + 1));
        break;
      }
      const what =
        ch === '>' ? 'atomic groups are not supported by RE2'
        : ch === '#' ? 'comments are not supported by RE2'
        : ch === '+' || ch === '|' || ch === '&' ? 'not supported by RE2'
        : undefined;
      fail('invalid perl operator', '(' + rest.slice(0, i + 1), what);
    }
    this.pos += i + 1;
    if (rest[i] === ')') {
      flags.i = nf.i;
      flags.m = nf.m;
      flags.s = nf.s;
      flags.U = nf.U;
      return null;
    }
    const body = this.parseAlt(nf, depth + 1);
    this.expectClose(start);
    return { node: { t: 'grp', cap: false, body } };
  }

  private expectClose(start: number): void {
    if (this.peek() !== 0x29) fail('missing )', this.src.slice(start));
    this.pos++;
  }

  /** Escape outside a class. */
  private parseEscapeAtom(flags: Flags): Atom | null {
    const c = this.peek(1);
    switch (c) {
      case 0x62: // b
        this.pos += 2;
        return { node: { t: 'empty', k: 'wb' } };
      case 0x42: // B
        this.pos += 2;
        return { node: { t: 'empty', k: 'nwb' } };
      case 0x41: // A
        this.pos += 2;
        return { node: { t: 'empty', k: 'bot' } };
      case 0x7a: // z
        this.pos += 2;
        return { node: { t: 'empty', k: 'eot' } };
      case 0x43: // C: any byte; the nearest JS has is any code point
        this.pos += 2;
        return { node: { t: 'cls', ranges: [0, MAX_CP], props: [], anyByte: true } };
      case 0x51: {
        // \Q...\E
        this.pos += 2;
        let end = this.src.indexOf('\\E', this.pos);
        if (end < 0) end = this.src.length;
        const items: Node[] = [];
        while (this.pos < end) items.push(lit(this.nextCp(), flags));
        this.pos = Math.min(this.src.length, end + 2);
        if (items.length === 0) return null;
        const node = items.pop()!;
        return { node, before: items };
      }
      default: {
        const e = this.parseEscape();
        if (typeof e === 'number') return { node: lit(e, flags) };
        return { node: classNode(e.ranges, e.props, false, flags.i) };
      }
    }
  }

  /** Escape producing a code point or a class (pos at the backslash). */
  private parseEscape(): number | { ranges: number[]; props: string[] } {
    const start = this.pos;
    this.pos++;
    if (this.pos >= this.src.length) fail('trailing \\', '');
    const cp = this.nextCp();
    const bad = (): never => fail('invalid escape sequence', this.src.slice(start, this.pos));
    if (cp >= 0x31 && cp <= 0x37) {
      // \1-\7 alone would be a backreference; only octal with a second digit is accepted.
      const d = this.peek();
      if (d < 0x30 || d > 0x37) fail('invalid escape sequence', this.src.slice(start, this.pos), 'backreferences are not supported by RE2');
    }
    if (cp >= 0x30 && cp <= 0x37) {
      let v = cp - 0x30;
      for (let k = 0; k < 2; k++) {
        const d = this.peek();
        if (d < 0x30 || d > 0x37) break;
        v = v * 8 + (d - 0x30);
        this.pos++;
      }
      return v;
    }
    if (cp === 0x38 || cp === 0x39) bad();
    switch (cp) {
      case 0x61: return 7; // \a
      case 0x66: return 12; // \f
      case 0x74: return 9; // \t
      case 0x6e: return 10; // \n
      case 0x72: return 13; // \r
      case 0x76: return 11; // \v
      case 0x78: {
        // \x{hex} or \xHH
        const m =
          this.peek() === 0x7b
            ? /^\{([0-9A-Fa-f]{1,8})\}/.exec(this.src.slice(this.pos, this.pos + 11))
            : /^([0-9A-Fa-f]{2})/.exec(this.src.slice(this.pos, this.pos + 2));
        if (m === null || parseInt(m[1], 16) > MAX_CP) {
          this.pos = Math.min(this.src.length, this.pos + 1);
          return bad();
        }
        this.pos += m[0].length;
        return parseInt(m[1], 16);
      }
      case 0x64: case 0x73: case 0x77: // d s w
        return { ranges: PERL[String.fromCharCode(cp)].slice(), props: [] };
      case 0x44: case 0x53: case 0x57: // D S W
        return { ranges: negateRanges(PERL[String.fromCharCode(cp + 0x20)]), props: [] };
      case 0x70: case 0x50: {
        // \pX \p{Name} \p{^Name}
        let negated = cp === 0x50;
        let name: string;
        if (this.peek() === 0x7b) {
          const close = this.src.indexOf('}', this.pos);
          if (close < 0) bad();
          name = this.src.slice(this.pos + 1, close);
          this.pos = close + 1;
        } else {
          if (this.pos >= this.src.length) bad();
          name = String.fromCodePoint(this.nextCp());
        }
        if (name.startsWith('^')) {
          negated = !negated;
          name = name.slice(1);
        }
        if (name === 'Any') return { ranges: negated ? [] : [0, MAX_CP], props: [] };
        const prop = unicodeProp(name, negated);
        if (prop === null) fail('invalid character class range', this.src.slice(start, this.pos));
        return { ranges: [], props: [prop] };
      }
      default:
        break;
    }
    if (cp < 0x80 && !isAlnum(cp)) return cp;
    return bad();
  }

  private parseClass(flags: Flags): Node {
    const start = this.pos;
    this.pos++; // [
    let negated = false;
    if (this.peek() === 0x5e) {
      negated = true;
      this.pos++;
    }
    const ranges: number[] = [];
    const props: string[] = [];
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === -1) fail('missing ]', this.src.slice(start));
      if (c === 0x5d && !first) {
        this.pos++;
        break;
      }
      first = false;
      // POSIX class [:name:]
      if (c === 0x5b && this.peek(1) === 0x3a) {
        const close = this.src.indexOf(':]', this.pos + 2);
        if (close >= 0) {
          let name = this.src.slice(this.pos + 2, close);
          const text = this.src.slice(this.pos, close + 2);
          let neg = false;
          if (name.startsWith('^')) {
            neg = true;
            name = name.slice(1);
          }
          const r = POSIX[name];
          if (r === undefined) fail('invalid character class range', text);
          this.pos = close + 2;
          ranges.push(...(neg ? negateRanges(r) : r));
          continue;
        }
      }
      const itemStart = this.pos;
      let lo: number;
      if (c === 0x5c) {
        if (this.peek(1) === 0x62 || this.peek(1) === 0x51 || this.peek(1) === 0x45) {
          this.pos += 2;
          fail('invalid escape sequence', this.src.slice(itemStart, this.pos));
        }
        const e = this.parseEscape();
        if (typeof e !== 'number') {
          ranges.push(...e.ranges);
          props.push(...e.props);
          continue;
        }
        lo = e;
      } else {
        lo = this.nextCp();
      }
      let hi = lo;
      if (this.peek() === 0x2d /* - */ && this.peek(1) !== 0x5d && this.peek(1) !== -1) {
        this.pos++;
        if (this.peek() === 0x5c) {
          const e = this.parseEscape();
          if (typeof e !== 'number') {
            fail('invalid escape sequence', this.src.slice(this.pos - 2, this.pos));
          }
          hi = e;
        } else {
          hi = this.nextCp();
        }
        if (hi < lo) fail('invalid character class range', this.src.slice(itemStart, this.pos));
      }
      ranges.push(lo, hi);
    }
    return classNode(ranges, props, negated, flags.i);
  }
}

function isAlnum(cp: number): boolean {
  return (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
}

function catOf(items: Node[]): Node {
  return items.length === 1 ? items[0] : { t: 'cat', items };
}

function lit(cp: number, flags: Flags): Node {
  if (flags.i) {
    const v: number[] = [];
    caseVariants(cp, v);
    if (v.length > 0) return { t: 'lit', cp, fold: true };
  }
  return { t: 'lit', cp, fold: false };
}

function classNode(ranges: number[], props: string[], negated: boolean, fold: boolean): Node {
  let r = normRanges(ranges);
  if (fold) r = foldRanges(r);
  if (!negated) return { t: 'cls', ranges: r, props };
  if (props.length === 0) return { t: 'cls', ranges: negateRanges(r), props: [] };
  // A negated class mixing ranges and Unicode properties stays negated in the JS source.
  return { t: 'cls', ranges: r, props: ['^', ...props] };
}

/** Largest product of nested counted repetitions, as RE2 limits it. */
function nestedRepeat(n: Node): number {
  switch (n.t) {
    case 'rep': {
      const inner = nestedRepeat(n.body);
      return n.counted ? inner * (n.max === -1 ? n.min : n.max) : inner;
    }
    case 'grp':
      return nestedRepeat(n.body);
    case 'cat':
    case 'alt': {
      let m = 1;
      for (const it of n.items) m = Math.max(m, nestedRepeat(it));
      return m;
    }
    default:
      return 1;
  }
}

// ---------------------------------------------------------------------------------------------
// RE2 program size estimate. Mirrors RE2's compiler after simplification and flattening (Alt
// instructions vanish, x{n,m} is unrolled, common literal prefixes of adjacent alternatives
// are factored, a leading `^literal` becomes a required prefix). Errs low where unsure so a
// config RE2 accepts is not refused here.

function utf8Len(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

function classCost(ranges: readonly number[], props: readonly string[]): number {
  if (props.length > 0) return props.length; // Unicode tables: unknown, count low
  let ascii = 0;
  const lowers: string[] = [];
  const uppers: string[] = [];
  let nonAscii = 0;
  let lens = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    const lo = ranges[i];
    const hi = ranges[i + 1];
    if (lo <= 0x7f) {
      const h = Math.min(hi, 0x7f);
      ascii++;
      if (lo >= 0x61 && h <= 0x7a) lowers.push(`${lo - 0x20}-${h - 0x20}`);
      if (lo >= 0x41 && h <= 0x5a) uppers.push(`${lo}-${h}`);
    }
    if (hi >= 0x80) {
      const l = Math.max(lo, 0x80);
      nonAscii += hi - l + 1;
      for (let k = utf8Len(l); k <= utf8Len(hi); k++) lens |= 1 << k;
    }
  }
  let merged = 0;
  for (const u of uppers) if (lowers.includes(u)) merged++;
  let cost = ascii - merged;
  if (nonAscii >= MAX_CP - 0x80) cost += 6;
  else for (let k = 2; k <= 4; k++) if (lens & (1 << k)) cost++;
  return Math.max(cost, ranges.length > 0 ? 1 : 0);
}

function leadingLiteral(n: Node): Node | null {
  if (n.t === 'lit') return n;
  if (n.t === 'cat' && n.items.length > 0 && n.items[0].t === 'lit') return n.items[0];
  return null;
}

function dropFirst(n: Node): Node {
  if (n.t === 'cat') return catOf(n.items.slice(1));
  return { t: 'cat', items: [] };
}

function sameLit(a: Node, b: Node): boolean {
  return a.t === 'lit' && b.t === 'lit' && a.cp === b.cp && a.fold === b.fold;
}

function singleChar(n: Node): boolean {
  return n.t === 'lit' || (n.t === 'cls' && n.props.length === 0);
}

function altCost(items: readonly Node[]): number {
  let total = 0;
  let i = 0;
  while (i < items.length) {
    const lead = leadingLiteral(items[i]);
    let j = i + 1;
    if (lead !== null) {
      while (j < items.length) {
        const l2 = leadingLiteral(items[j]);
        if (l2 === null || !sameLit(lead, l2)) break;
        j++;
      }
    }
    if (j - i >= 2) {
      // factored: one copy of the shared character, then the alternatives of the rests
      total += size(lead!) + altCost(items.slice(i, j).map(dropFirst));
      i = j;
      continue;
    }
    if (singleChar(items[i])) {
      // adjacent single characters merge into one class
      const ranges: number[] = [];
      j = i;
      while (j < items.length && singleChar(items[j])) {
        const it = items[j];
        if (it.t === 'lit') ranges.push(it.cp, it.cp);
        else if (it.t === 'cls') ranges.push(...it.ranges);
        j++;
      }
      total += j - i === 1 ? size(items[i]) : classCost(normRanges(ranges), []);
      i = j;
      continue;
    }
    total += size(items[i]);
    i++;
  }
  return total;
}

function size(n: Node): number {
  switch (n.t) {
    case 'lit':
      return n.fold && n.cp < 0x80 ? 1 : utf8Len(n.cp);
    case 'cls':
      return n.anyByte === true ? 1 : classCost(n.ranges, n.props);
    case 'empty':
      return 1;
    case 'grp':
      return (n.cap ? 2 : 0) + size(n.body);
    case 'cat': {
      let s = 0;
      for (const it of coalesce(n.items)) s += size(it);
      return s;
    }
    case 'alt':
      return altCost(n.items);
    case 'rep': {
      const c = size(n.body);
      if (n.max === -1) return n.min === 0 ? c : Math.max(0, n.min - 1) * c + c + 1;
      if (n.min === 0 && n.max === 1) return c + 1;
      return n.min * c + (n.max - n.min) * (c + 1);
    }
  }
}

function sameChar(a: Node, b: Node): boolean {
  if (a.t === 'lit' && b.t === 'lit') return a.cp === b.cp && a.fold === b.fold;
  if (a.t === 'cls' && b.t === 'cls') {
    return a.ranges.join() === b.ranges.join() && a.props.join() === b.props.join();
  }
  return false;
}

/** RE2 merges adjacent repeats of one character or class (`a*a+` -> `a+`, `\d+\d` -> `\d{2,}`). */
function coalesce(items: readonly Node[]): readonly Node[] {
  const out: Node[] = [];
  for (const it of items) {
    const prev = out[out.length - 1];
    if (prev !== undefined && prev.t === 'rep' && singleChar(prev.body)) {
      const cur: Node | null =
        it.t === 'rep' && it.greedy === prev.greedy && sameChar(it.body, prev.body) ? it
        : singleChar(it) && sameChar(it, prev.body) ? { t: 'rep', min: 1, max: 1, greedy: prev.greedy, counted: true, body: it }
        : null;
      if (cur !== null && cur.t === 'rep') {
        const max = prev.max === -1 || cur.max === -1 ? -1 : prev.max + cur.max;
        out[out.length - 1] = { t: 'rep', min: prev.min + cur.min, max, greedy: prev.greedy, counted: true, body: prev.body };
        continue;
      }
    }
    out.push(it);
  }
  return out;
}

function estimateProgramSize(root: Node): number {
  let items: readonly Node[] = root.t === 'cat' ? root.items : [root];
  let total = 2; // fail + match
  if (items.length > 0 && items[0].t === 'empty' && items[0].k === 'bot') {
    items = items.slice(1);
    if (items.length > 0 && items[0].t === 'lit') {
      // RE2 strips a required literal prefix out of the program.
      let k = 0;
      while (k < items.length && items[k].t === 'lit') k++;
      items = items.slice(k);
      total += 2;
    }
  } else {
    total += 2; // unanchored .*? prefix loop
  }
  const last = items[items.length - 1];
  if (last !== undefined && last.t === 'empty' && last.k === 'eot') items = items.slice(0, -1);
  for (const it of coalesce(items)) total += size(it);
  return total;
}

// ---------------------------------------------------------------------------------------------
// JS emission

function hex(cp: number): string {
  return `\\u{${cp.toString(16).toUpperCase()}}`;
}

const SYNTAX = new Set('^$\\.*+?()[]{}|/'.split('').map((c) => c.charCodeAt(0)));

function emitCp(cp: number): string {
  if (cp >= 0x20 && cp < 0x7f) {
    return SYNTAX.has(cp) ? '\\' + String.fromCharCode(cp) : String.fromCharCode(cp);
  }
  return hex(cp);
}

function emitRanges(r: readonly number[]): string {
  let s = '';
  for (let i = 0; i < r.length; i += 2) {
    s += hex(r[i]);
    if (r[i + 1] !== r[i]) s += '-' + hex(r[i + 1]);
  }
  return s;
}

function emit(n: Node): string {
  switch (n.t) {
    case 'lit': {
      if (!n.fold) return emitCp(n.cp);
      const v: number[] = [n.cp, n.cp];
      caseVariants(n.cp, v);
      return '[' + emitRanges(normRanges(v)) + ']';
    }
    case 'cls': {
      if (n.props[0] === '^') return '[^' + emitRanges(n.ranges) + n.props.slice(1).join('') + ']';
      if (n.props.length === 0 && n.ranges.length === 2 && n.ranges[0] === 0 && n.ranges[1] === MAX_CP) {
        return '[^]';
      }
      if (n.props.length === 0 && n.ranges.length === 0) return '[]';
      return '[' + emitRanges(n.ranges) + n.props.join('') + ']';
    }
    case 'empty':
      switch (n.k) {
        case 'bot': return '^';
        case 'eot': return '$';
        case 'bol': return '(?<![^\\n])';
        case 'eol': return '(?![^\\n])';
        case 'wb': return '\\b';
        case 'nwb': return '\\B';
      }
    case 'grp':
      return (n.cap ? '(' : '(?:') + emit(n.body) + ')';
    case 'cat':
      return n.items.map(emit).join('');
    case 'alt':
      return n.items.map(emit).join('|');
    case 'rep': {
      const b = n.body;
      const atom = b.t === 'lit' || b.t === 'cls' || b.t === 'grp' ? emit(b) : '(?:' + emit(b) + ')';
      let q: string;
      if (n.min === 0 && n.max === -1) q = '*';
      else if (n.min === 1 && n.max === -1) q = '+';
      else if (n.min === 0 && n.max === 1) q = '?';
      else if (n.max === -1) q = `{${n.min},}`;
      else if (n.max === n.min) q = `{${n.min}}`;
      else q = `{${n.min},${n.max}}`;
      return atom + q + (n.greedy ? '' : '?');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Public API

export interface TranslatedRegex {
  /** JS source (for the `u` flag), not anchored. */
  readonly source: string;
  readonly captureGroups: number;
  readonly programSize: number;
  /** Literal text every match starts with (case-sensitive); lets callers skip hopeless tests. */
  readonly literalPrefix: string;
}

function literalPrefix(root: Node): string {
  const items: readonly Node[] = root.t === 'cat' ? root.items : [root];
  let s = '';
  for (const it of items) {
    if (it.t === 'empty' && it.k === 'bot' && s === '') continue;
    if (it.t !== 'lit' || it.fold) break;
    s += String.fromCodePoint(it.cp);
  }
  return s;
}

const translated = new Map<string, TranslatedRegex | RegexError>();

/** Parses an RE2 pattern as Envoy's google_re2 engine would accept it, and translates it. */
export function translateRegex(pattern: string): TranslatedRegex | RegexError {
  const hit = translated.get(pattern);
  if (hit !== undefined) return hit;
  let out: TranslatedRegex | RegexError;
  try {
    const p = new Parser(pattern);
    const ast = p.parse();
    const programSize = estimateProgramSize(ast);
    if (programSize > RE2_MAX_PROGRAM_SIZE) {
      out = {
        error:
          `regex '${pattern}' RE2 program size of ${programSize} > max program size of ` +
          `${RE2_MAX_PROGRAM_SIZE} set for the error level threshold. Increase configured max ` +
          `program size if necessary.`,
      };
    } else {
      const source = emit(ast);
      new RegExp(source, 'u'); // a translation bug must surface as a config error, not at request time
      out = { source, captureGroups: p.captures, programSize, literalPrefix: literalPrefix(ast) };
    }
  } catch (e) {
    if (e instanceof ParseError) out = { error: e.message };
    else out = { error: `regex '${pattern}' is not supported: ${(e as Error).message}` };
  }
  translated.set(pattern, out);
  return out;
}

const compiled = new Map<string, RegExp | RegexError>();

/**
 * Compiles an RE2 pattern to a JS RegExp (flag `u`). `anchored` makes it a full match, as
 * RE2::FullMatch; the result is shared, so callers use test()/exec() only (no `g`/`y` state).
 */
export function compileRegex(pattern: string, anchored = true): RegExp | RegexError {
  const key = (anchored ? 'A' : 'U') + pattern;
  const hit = compiled.get(key);
  if (hit !== undefined) return hit;
  const t = translateRegex(pattern);
  const out: RegExp | RegexError =
    'error' in t ? t : new RegExp(anchored ? `^(?:${t.source})$` : t.source, 'u');
  compiled.set(key, out);
  return out;
}

export function isRegexError(v: unknown): v is RegexError {
  return typeof v === 'object' && v !== null && 'error' in v;
}

// ---------------------------------------------------------------------------------------------
// RE2::GlobalReplace

/** A compiled regex_rewrite: global regex plus the substitution split into literal/group parts. */
export interface CompiledSubstitution {
  readonly re: RegExp; // flags 'gu'
  /** Alternating: literal string, group index (number), literal, ... */
  readonly parts: readonly (string | number)[];
  /** False when the substitution names a group the pattern lacks: RE2 then leaves input as is. */
  readonly valid: boolean;
}

export function compileSubstitution(pattern: string, substitution: string): CompiledSubstitution | RegexError {
  const t = translateRegex(pattern);
  if ('error' in t) return t;
  const parts: (string | number)[] = [];
  let litBuf = '';
  let maxGroup = 0;
  for (let i = 0; i < substitution.length; i++) {
    const ch = substitution[i];
    if (ch !== '\\') {
      litBuf += ch;
      continue;
    }
    const nx = substitution[i + 1];
    if (nx !== undefined && nx >= '0' && nx <= '9') {
      parts.push(litBuf);
      litBuf = '';
      const g = nx.charCodeAt(0) - 0x30;
      parts.push(g);
      if (g > maxGroup) maxGroup = g;
      i++;
    } else if (nx === '\\') {
      litBuf += '\\';
      i++;
    } else {
      // RE2 stops rewriting at a bad escape (and logs); what was built so far is kept.
      break;
    }
  }
  parts.push(litBuf);
  return { re: new RegExp(t.source, 'gu'), parts, valid: maxGroup <= t.captureGroups };
}

/** RE2::GlobalReplace: non-overlapping, left to right, no empty match right after a match. */
export function replaceAll(sub: CompiledSubstitution, input: string): string {
  if (!sub.valid) return input;
  const re = sub.re;
  re.lastIndex = 0;
  let out = '';
  let copied = 0;
  let lastEnd = -1;
  let count = 0;
  while (re.lastIndex <= input.length) {
    const m = re.exec(input);
    if (m === null) break;
    const start = m.index;
    const end = start + m[0].length;
    if (start === end && start === lastEnd) {
      // RE2 refuses an empty match where the previous match ended: step one character on.
      if (start >= input.length) break;
      const cp = input.codePointAt(start)!;
      re.lastIndex = start + (cp > 0xffff ? 2 : 1);
      continue;
    }
    out += input.slice(copied, start);
    const parts = sub.parts;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      out += typeof p === 'number' ? (m[p] ?? '') : p;
    }
    copied = end;
    lastEnd = end;
    count++;
    if (start === end) {
      if (end >= input.length) break;
      const cp = input.codePointAt(end)!;
      re.lastIndex = end + (cp > 0xffff ? 2 : 1);
    } else {
      re.lastIndex = end;
    }
  }
  if (count === 0) return input;
  return out + input.slice(copied);
}
