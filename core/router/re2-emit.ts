// Emission of an RE2 syntax tree as an equivalent JS RegExp source for the `u` flag: classes as
// explicit code-point ranges (RE2's ASCII \d \s \w, its `.` that only excludes \n), case folding
// expanded in place, multi-line anchors as lookarounds.

import { MAX_CP, caseVariants, normRanges, type Node } from './re2-ast.js';

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

export function emit(n: Node): string {
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

export function literalPrefix(root: Node): string {
  const items: readonly Node[] = root.t === 'cat' ? root.items : [root];
  let s = '';
  for (const it of items) {
    if (it.t === 'empty' && it.k === 'bot' && s === '') continue;
    if (it.t !== 'lit' || it.fold) break;
    s += String.fromCodePoint(it.cp);
  }
  return s;
}
