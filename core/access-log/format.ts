// Envoy access log formats: compiles a text format or json_format dictionary once into a formatter
// for AccessLogRecords, and checks formats for the config loader.

import type { AccessLogConfig } from '../config/types.js';
import type { AccessLogRecord } from './record.js';
import { compileJsonValue, JsonFormatter } from './json-format.js';
import { Op, valueOf, type Part } from './operator.js';
import { AccessLogFormatError, parse, type FormatOptions } from './parse.js';

export type { AccessLogRecord } from './record.js';
export { createAccessLogRecord } from './record.js';
export * from './response-flags.js';
export { stripPort } from './operator.js';
export { AccessLogFormatError, type FormatOptions } from './parse.js';

/** Envoy's default access log format (SubstitutionFormatUtils::DEFAULT_FORMAT), exactly. */
export const DEFAULT_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" ' +
  '%RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% ' +
  '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% ' +
  '"%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" ' +
  '"%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"\n';

export interface AccessLogFormatter {
  /** Renders one log entry. JSON entries end in '\n'; text entries end as the format does. */
  format(rec: AccessLogRecord): string;
}

class TextFormatter implements AccessLogFormatter {
  constructor(
    private readonly parts: readonly Part[],
    private readonly empty: string,
    private readonly hostname: string | null,
  ) {}

  format(rec: AccessLogRecord): string {
    const parts = this.parts;
    let out = '';
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (p.op === Op.Lit) {
        out += p.text;
        continue;
      }
      const v = valueOf(p, rec, this.hostname);
      out += v === null ? this.empty : v;
    }
    return out;
  }
}

/**
 * Compiles an access log config into a formatter: text format, json_format (typed or not), or
 * Envoy's default format when neither is set. Throws AccessLogFormatError on invalid formats.
 */
export function compileFormat(cfg: AccessLogConfig, opts: FormatOptions = {}): AccessLogFormatter {
  const hostname = opts.hostname === undefined || opts.hostname === '' ? null : opts.hostname;
  if (cfg.textFormat === null && cfg.jsonFormat !== null) {
    if (typeof cfg.jsonFormat !== 'object' || Array.isArray(cfg.jsonFormat)) {
      throw new AccessLogFormatError('json_format must be a map');
    }
    const root = compileJsonValue(cfg.jsonFormat, cfg.typedJson, opts, '');
    return new JsonFormatter(root, cfg.typedJson, cfg.omitEmptyValues, hostname);
  }
  const parts = parse(cfg.textFormat ?? DEFAULT_FORMAT, opts);
  return new TextFormatter(parts, cfg.omitEmptyValues ? '' : '-', hostname);
}

/** Config-time validation: the error message for an invalid format, or null. */
export function checkFormat(cfg: AccessLogConfig): string | null {
  if (cfg.textFormat !== null && cfg.jsonFormat !== null) {
    return 'access log: only one of text format and json_format may be set';
  }
  try {
    compileFormat(cfg);
    return null;
  } catch (e) {
    if (e instanceof AccessLogFormatError) return e.message;
    throw e;
  }
}
