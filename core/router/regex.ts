// RE2 patterns (Envoy's safe_regex) on JS RegExp: parse and check as RE2 would (syntax and
// Envoy's program-size limit), translate to a `u`-mode JS source, cache the result; and
// RE2::GlobalReplace for regex rewrites.

import { ParseError } from './re2-ast.js';
import { emit, literalPrefix } from './re2-emit.js';
import { Parser } from './re2-parse.js';
import { estimateProgramSize } from './re2-size.js';

export interface RegexError {
  readonly error: string;
}

/** Envoy's default `re2.max_program_size.error_level`. */
export const RE2_MAX_PROGRAM_SIZE = 100;

export interface TranslatedRegex {
  /** JS source (for the `u` flag), not anchored. */
  readonly source: string;
  readonly captureGroups: number;
  readonly programSize: number;
  /** Literal text every match starts with (case-sensitive); lets callers skip hopeless tests. */
  readonly literalPrefix: string;
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
