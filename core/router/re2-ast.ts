// The RE2 regex syntax tree and its building blocks: code-point range sets, case folding, the
// Perl/POSIX/Unicode classes RE2 knows, and RE2's limit on nested counted repetition.

export const MAX_CP = 0x10ffff;
export const MAX_REPEAT = 1000;

// ---------------------------------------------------------------------------------------------
// AST

export type Node =
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

export interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

export class ParseError extends Error {}

export function fail(code: string, arg: string, hint?: string): never {
  throw new ParseError(hint === undefined ? `${code}: ${arg}` : `${code}: ${arg} (${hint})`);
}

// ---------------------------------------------------------------------------------------------
// Code-point range sets: flat sorted [lo0, hi0, lo1, hi1, ...], inclusive, merged.

export function normRanges(r: number[]): number[] {
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

export function negateRanges(r: readonly number[]): number[] {
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

export function caseVariants(cp: number, out: number[]): void {
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
export function foldRanges(r: readonly number[]): number[] {
  const out = r.slice();
  for (let i = 0; i < r.length; i += 2) {
    const lo = r[i];
    const hi = r[i + 1];
    const end = hi - lo > 0x3000 ? Math.min(hi, 0x24f) : hi;
    for (let cp = lo; cp <= end; cp++) caseVariants(cp, out);
  }
  return normRanges(out);
}

export const PERL: Record<string, readonly number[]> = {
  d: [0x30, 0x39],
  s: [0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x20],
  w: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a],
};

export const POSIX: Record<string, readonly number[]> = {
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
export function unicodeProp(name: string, negated: boolean): string | null {
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

export function isAlnum(cp: number): boolean {
  return (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
}

export function catOf(items: Node[]): Node {
  return items.length === 1 ? items[0] : { t: 'cat', items };
}

export function lit(cp: number, flags: Flags): Node {
  if (flags.i) {
    const v: number[] = [];
    caseVariants(cp, v);
    if (v.length > 0) return { t: 'lit', cp, fold: true };
  }
  return { t: 'lit', cp, fold: false };
}

export function classNode(ranges: number[], props: string[], negated: boolean, fold: boolean): Node {
  let r = normRanges(ranges);
  if (fold) r = foldRanges(r);
  if (!negated) return { t: 'cls', ranges: r, props };
  if (props.length === 0) return { t: 'cls', ranges: negateRanges(r), props: [] };
  // A negated class mixing ranges and Unicode properties stays negated in the JS source.
  return { t: 'cls', ranges: r, props: ['^', ...props] };
}

/** Largest product of nested counted repetitions, as RE2 limits it. */
export function nestedRepeat(n: Node): number {
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
