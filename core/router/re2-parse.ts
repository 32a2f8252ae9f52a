// Parser for RE2 syntax (Perl flavour, as Envoy's google_re2 engine runs it): builds the tree and
// rejects, with RE2's wording, what RE2 rejects (lookaround, backreferences, possessive and
// doubled repetition, unknown escapes and flags, oversized repeats).

import {
  MAX_CP,
  MAX_REPEAT,
  PERL,
  POSIX,
  catOf,
  classNode,
  fail,
  isAlnum,
  lit,
  negateRanges,
  nestedRepeat,
  unicodeProp,
  type Flags,
  type Node,
} from './re2-ast.js';

interface Atom {
  node: Node;
  /** Literals that precede `node` and that a following quantifier does not bind (\Q...\E). */
  before?: Node[];
}

export class Parser {
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
