// Header add/remove lists (route config, virtual host, route, weighted cluster, health check): Envoy's
// HeaderParser rules (no `:`-pseudo headers or `host`, append vs append_action, PGV header name/value
// rules) and the %COMMAND% values nuncio cannot substitute yet.
import type { HeaderValueOption } from './types.js';
import { AccessLogFormatError, parse } from '../access-log/parse.js';

export type Report = (path: string, message: string) => void;

// PGV well_known_regex HTTP_HEADER_NAME / HTTP_HEADER_VALUE with strict: false.
const BAD_HEADER_CHARS = /[\0\r\n]/;
const MAX_HEADER_BYTES = 16384;

// The normalised tree is checked JSON (see schema.ts).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type N = any;

/** Http::HeaderUtility::isModifiableHeader / isRemovableHeader. */
function isProtected(key: string): boolean {
  return key.startsWith(':') || key.toLowerCase() === 'host';
}

function checkName(name: string, path: string, err: Report): void {
  if (BAD_HEADER_CHARS.test(name)) err(path, 'value does not match regex pattern for HTTP header name (no NUL, CR or LF)');
  if (Buffer.byteLength(name) > MAX_HEADER_BYTES) err(path, `value length must be at most ${MAX_HEADER_BYTES} bytes`);
}

/**
 * Envoy parses header values with its substitution formatter. nuncio applies values literally (with
 * `%%` as `%`), so a value that uses a command operator is refused; a malformed one gets the
 * formatter's error.
 */
function checkValue(value: string, path: string, err: Report): void {
  if (BAD_HEADER_CHARS.test(value)) {
    err(path, 'value does not match regex pattern for HTTP header value (no NUL, CR or LF)');
    return;
  }
  if (Buffer.byteLength(value) > MAX_HEADER_BYTES) err(path, `value length must be at most ${MAX_HEADER_BYTES} bytes`);
  if (!value.includes('%')) return;
  try {
    parse(value, {});
  } catch (e) {
    if (!(e instanceof AccessLogFormatError)) throw e;
    if (!e.message.includes('not supported by nuncio')) {
      err(path, e.message);
      return;
    }
  }
  const op = /%[A-Z0-9_]+(?:\([^)]*\))?(?::\d+)?%/.exec(value.replace(/%%/g, ''));
  if (op !== null) {
    err(path, `header value substitution (${op[0]}) is not supported by nuncio yet; write %% for a literal %`);
  }
}

/** HeaderValueOption list -> snapshot form; problems reported under `path`. */
export function headerValueOptions(list: N[] | undefined, path: string, err: Report): HeaderValueOption[] {
  return (list ?? []).map((o: N, i: number) => {
    const p = `${path}[${i}]`;
    const h = o.header ?? {};
    const rawKey = String(h.key ?? '');
    if (isProtected(rawKey)) err(`${p}.header.key`, ':-prefixed or host headers may not be modified');
    checkName(rawKey, `${p}.header.key`, err);
    let value: string;
    if (h.value !== undefined) value = h.value;
    else if (h.raw_value !== undefined) value = Buffer.from(h.raw_value, 'base64').toString('latin1');
    else value = '';
    checkValue(value, `${p}.header.${h.value === undefined && h.raw_value !== undefined ? 'raw_value' : 'value'}`, err);
    let action: HeaderValueOption['appendAction'] = o.append_action ?? 'APPEND_IF_EXISTS_OR_ADD';
    if (o.append !== undefined) {
      if (action !== 'APPEND_IF_EXISTS_OR_ADD') err(p, "Both append and append_action are set and it's not allowed");
      action = o.append ? 'APPEND_IF_EXISTS_OR_ADD' : 'OVERWRITE_IF_EXISTS_OR_ADD';
    }
    return { key: rawKey.toLowerCase(), value, appendAction: action, keepEmptyValue: o.keep_empty_value === true };
  });
}

/** A *_headers_to_remove list, lower-cased. */
export function headersToRemove(list: string[] | undefined, path: string, err: Report): string[] {
  return (list ?? []).map((h, i) => {
    if (isProtected(h)) err(`${path}[${i}]`, ':-prefixed or host headers may not be removed');
    checkName(h, `${path}[${i}]`, err);
    return h.toLowerCase();
  });
}
