// json_format dictionaries: compiled into a tree of constant and operator nodes, rendered as one
// compact JSON object per line, keys in configured order, typed or all-string values.

import type { AccessLogRecord } from './record.js';
import type { AccessLogFormatter } from './format.js';
import { isNumeric, Op, valueOf, type Part } from './operator.js';
import { AccessLogFormatError, parse, type FormatOptions } from './parse.js';

const enum J {
  Object,
  Array,
  /** One operator alone: keeps its type in typed mode, may be null. */
  Single,
  /** Literals and operators concatenated: always a string. */
  Concat,
  /** A constant, pre-rendered as JSON text. */
  Const,
}

// Most values need no escaping; checking first avoids JSON.stringify's cost on the common path.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"';
}

class JNode {
  constructor(
    readonly kind: J,
    /** Object: `"key":` prefixes. */
    readonly keys: readonly string[] = [],
    /** Object/Array children. */
    readonly children: readonly JNode[] = [],
    readonly parts: readonly Part[] = [],
    /** Const: the JSON text. */
    readonly json: string = '',
  ) {}
}

export function compileJsonValue(v: unknown, typed: boolean, opts: FormatOptions, where: string): JNode {
  if (typeof v === 'string') {
    const parts = parse(v, opts);
    if (parts.length === 1 && parts[0].op === Op.Lit) return new JNode(J.Const, [], [], [], JSON.stringify(parts[0].text));
    return new JNode(parts.length === 1 ? J.Single : J.Concat, [], [], parts);
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new AccessLogFormatError(`json_format value at ${where} is not a finite number`);
    return new JNode(J.Const, [], [], [], typed ? JSON.stringify(v) : JSON.stringify(String(v)));
  }
  if (typeof v === 'boolean') {
    return new JNode(J.Const, [], [], [], typed ? String(v) : JSON.stringify(String(v)));
  }
  if (Array.isArray(v)) {
    return new JNode(J.Array, [], v.map((x, i) => compileJsonValue(x, typed, opts, `${where}[${i}]`)));
  }
  if (v !== null && typeof v === 'object') {
    const obj = v as Record<string, unknown>;
    const keys = Object.keys(obj);
    return new JNode(J.Object, keys.map((k) => JSON.stringify(k) + ':'),
      keys.map((k) => compileJsonValue(obj[k], typed, opts, where === '' ? k : `${where}.${k}`)));
  }
  throw new AccessLogFormatError(
    'Only string values, nested structs, list values and number values are supported in structured access log format.');
}

export class JsonFormatter implements AccessLogFormatter {
  constructor(
    private readonly root: JNode,
    private readonly typed: boolean,
    private readonly omit: boolean,
    private readonly hostname: string | null,
  ) {}

  format(rec: AccessLogRecord): string {
    return this.render(this.root, rec) + '\n';
  }

  /** JSON text of a node, or null when omit_empty_values drops it. */
  private render(n: JNode, rec: AccessLogRecord): string | null {
    switch (n.kind) {
      case J.Const: return n.json;
      case J.Single: {
        const p = n.parts[0];
        const v = valueOf(p, rec, this.hostname);
        if (v === null) return this.omit ? null : this.typed ? 'null' : '"-"';
        // Numeric operators produce plain decimal integers, which are valid JSON numbers as is.
        return this.typed && isNumeric(p) ? v : quote(v);
      }
      case J.Concat: {
        const empty = this.omit ? '' : '-';
        let s = '';
        for (const p of n.parts) {
          const v = valueOf(p, rec, this.hostname);
          s += v === null ? empty : v;
        }
        return quote(s);
      }
      case J.Array: {
        let out = '[';
        let first = true;
        for (const c of n.children) {
          const v = this.render(c, rec);
          if (v === null) continue;
          out += first ? v : ',' + v;
          first = false;
        }
        return out + ']';
      }
      default: {
        let out = '{';
        let first = true;
        const keys = n.keys;
        const children = n.children;
        for (let i = 0; i < children.length; i++) {
          const v = this.render(children[i], rec);
          if (v === null) continue;
          out += (first ? keys[i] : ',' + keys[i]) + v;
          first = false;
        }
        return out + '}';
      }
    }
  }
}
