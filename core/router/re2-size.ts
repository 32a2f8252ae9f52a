// Estimate of RE2's program size (Envoy refuses regexes over 100 instructions). Mirrors RE2's
// compiler after simplification and flattening: Alt instructions vanish, x{n,m} is unrolled,
// adjacent repeats coalesce, common literal prefixes of alternatives are factored, a leading
// `^literal` becomes a required prefix. Errs low where unsure, so nothing RE2 accepts is refused.

import { MAX_CP, catOf, normRanges, type Node } from './re2-ast.js';

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

export function estimateProgramSize(root: Node): number {
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
