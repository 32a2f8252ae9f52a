// /stats rendering as Envoy's admin does it: query parameters (StatsParams::parse), the text form
// (`name: value`, histograms as quantile or bucket summaries) and the JSON form, all sorted by byte
// order. Prometheus output is in render-prometheus.ts.
import { Parser } from '../router/re2-parse.js';
import { emit } from '../router/re2-emit.js';
import type { CollectedHistogram, CollectedStats, StatKind, StatWanted } from './collect.js';
import { BUCKET_BOUNDS, SUPPORTED_QUANTILES, type HistogramStats } from './histograms.js';
import { formatFmt, formatG, formatInt, jsonDouble } from './render-numbers.js';

export type StatsType = 'All' | 'Counters' | 'Gauges' | 'Histograms' | 'TextReadouts';
export type StatsFormat = 'text' | 'json' | 'prometheus';
export type HistogramBuckets = 'none' | 'cumulative' | 'disjoint';

export interface StatsParams {
  readonly usedOnly: boolean;
  readonly filter: RegExp | null;
  readonly type: StatsType;
  readonly format: StatsFormat;
  readonly histogramBuckets: HistogramBuckets;
  /** Prometheus `text_readouts` (nuncio has none, accepted for compatibility). */
  readonly textReadouts: boolean;
}

export interface ParamsError {
  readonly status: 400;
  readonly body: string;
}

const TYPES: readonly StatsType[] = ['All', 'Counters', 'Gauges', 'Histograms', 'TextReadouts'];

/**
 * Compiles a stats filter as RE2 (Envoy compiles it with default RE2 options: no program-size limit)
 * for a partial match; null when RE2 would reject it.
 */
export function compileStatsFilter(pattern: string): RegExp | null {
  try {
    return new RegExp(emit(new Parser(pattern).parse()), 'u');
  } catch {
    return null;
  }
}

/** StatsParams::parse over a decoded query (first value of each key). */
export function parseStatsParams(query: ReadonlyMap<string, string>): StatsParams | ParamsError {
  let filter: RegExp | null = null;
  const f = query.get('filter');
  if (f !== undefined) {
    filter = compileStatsFilter(f);
    if (filter === null) return { status: 400, body: 'Invalid re2 regex' };
  }
  let histogramBuckets: HistogramBuckets = 'none';
  const hb = query.get('histogram_buckets');
  if (hb !== undefined && hb !== '') {
    if (hb === 'cumulative' || hb === 'disjoint' || hb === 'none') histogramBuckets = hb;
    else return { status: 400, body: 'usage: /stats?histogram_buckets=(cumulative|disjoint|none)\n' };
  }
  let type: StatsType = 'All';
  const t = query.get('type');
  if (t !== undefined) {
    if (!(TYPES as readonly string[]).includes(t)) return { status: 400, body: 'invalid &type= param' };
    type = t as StatsType;
  }
  let format: StatsFormat = 'text';
  const fm = query.get('format');
  if (fm !== undefined && fm !== '') {
    if (fm === 'text' || fm === 'json' || fm === 'prometheus') format = fm;
    else if (fm === 'html') return { status: 400, body: 'HTML output was disabled by building with --define=admin_html=disabled' };
    else if (fm === 'active-html') {
      return { status: 400, body: 'Active HTML output was disabled by building with --define=admin_html=disabled' };
    } else return { status: 400, body: 'usage: /stats?format=(html|active-html|json|prometheus|text)\n\n' };
  }
  return { usedOnly: query.has('usedonly'), filter, type, format, histogramBuckets, textReadouts: query.has('text_readouts') };
}

/** The early filter for collectStats: name regex and type= (usedonly needs the value, so it comes later). */
export function statsWanted(p: StatsParams): StatWanted {
  const { filter, type } = p;
  const typeOk = (kind: StatKind | 'histogram'): boolean => {
    if (p.format === 'prometheus') return true;
    switch (type) {
      case 'All':
        return true;
      case 'Counters':
        return kind === 'counter';
      case 'Gauges':
        return kind === 'gauge';
      case 'Histograms':
        return kind === 'histogram';
      case 'TextReadouts':
        return false;
    }
  };
  return (name, kind) => typeOk(kind) && (filter === null || filter.test(name));
}

function byName<T extends { readonly name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Counters/gauges and histograms after usedonly, each sorted by byte order of the name. */
export function selectStats(data: CollectedStats, p: StatsParams): CollectedStats {
  const stats = (p.usedOnly ? data.stats.filter((s) => s.value !== 0) : [...data.stats]).sort(byName);
  const histograms = (p.usedOnly ? data.histograms.filter((h) => h.cumulative.count > 0) : [...data.histograms]).sort(byName);
  return { stats, histograms };
}

// ---------------------------------------------------------------------------------------------
// Text

function quantileLabel(q: number): string {
  return formatG(q);
}

/** ParentHistogramImpl::quantileSummary. */
export function quantileSummary(h: CollectedHistogram): string {
  const parts: string[] = [];
  for (let i = 0; i < SUPPORTED_QUANTILES.length; i++) {
    parts.push(`P${quantileLabel(SUPPORTED_QUANTILES[i])}(${formatFmt(h.interval.quantiles[i])},${formatFmt(h.cumulative.quantiles[i])})`);
  }
  return parts.join(' ');
}

function disjoint(s: HistogramStats): number[] {
  const out: number[] = [];
  let prev = 0;
  for (const c of s.buckets) {
    out.push(c - prev);
    prev = c;
  }
  return out;
}

/** bucketSummary (cumulative) or the disjoint form: `B<bound>(interval,cumulative)`. */
export function bucketSummary(h: CollectedHistogram, mode: 'cumulative' | 'disjoint'): string {
  const iv = mode === 'cumulative' ? h.interval.buckets : disjoint(h.interval);
  const cu = mode === 'cumulative' ? h.cumulative.buckets : disjoint(h.cumulative);
  const parts: string[] = [];
  for (let i = 0; i < BUCKET_BOUNDS.length; i++) parts.push(`B${formatG(BUCKET_BOUNDS[i])}(${formatInt(iv[i])},${formatInt(cu[i])})`);
  return parts.join(' ');
}

function histogramLine(h: CollectedHistogram, mode: HistogramBuckets): string {
  if (h.cumulative.count === 0) return `${h.name}: No recorded values\n`;
  return `${h.name}: ${mode === 'none' ? quantileSummary(h) : bucketSummary(h, mode)}\n`;
}

/** The text form of /stats (data as from selectStats). */
export function renderStatsText(data: CollectedStats, p: StatsParams): string {
  let out = '';
  for (const s of data.stats) out += `${s.name}: ${formatInt(s.value)}\n`;
  for (const h of data.histograms) out += histogramLine(h, p.histogramBuckets);
  return out;
}

// ---------------------------------------------------------------------------------------------
// JSON (Envoy's streamer: compact, numbers as integers or shortest doubles, NaN as null)

function jsonBuckets(h: CollectedHistogram, mode: 'cumulative' | 'disjoint'): string {
  const iv = mode === 'cumulative' ? h.interval.buckets : disjoint(h.interval);
  const cu = mode === 'cumulative' ? h.cumulative.buckets : disjoint(h.cumulative);
  const parts: string[] = [];
  for (let i = 0; i < BUCKET_BOUNDS.length; i++) {
    parts.push(`{"upper_bound":${jsonDouble(BUCKET_BOUNDS[i])},"interval":${formatInt(iv[i])},"cumulative":${formatInt(cu[i])}}`);
  }
  return `{"name":${JSON.stringify(h.name)},"buckets":[${parts.join(',')}]}`;
}

function jsonQuantiles(h: CollectedHistogram): string {
  const parts: string[] = [];
  for (let i = 0; i < SUPPORTED_QUANTILES.length; i++) {
    parts.push(`{"cumulative":${jsonDouble(h.cumulative.quantiles[i])},"interval":${jsonDouble(h.interval.quantiles[i])}}`);
  }
  return `{"name":${JSON.stringify(h.name)},"values":[${parts.join(',')}]}`;
}

/** The JSON form of /stats (data as from selectStats). */
export function renderStatsJson(data: CollectedStats, p: StatsParams): string {
  const entries: string[] = [];
  for (const s of data.stats) entries.push(`{"name":${JSON.stringify(s.name)},"value":${formatInt(s.value)}}`);
  if (data.histograms.length > 0) {
    const mode = p.histogramBuckets;
    if (mode === 'none') {
      const supported = SUPPORTED_QUANTILES.map((q) => formatG(q)).join(',');
      const computed = data.histograms.map(jsonQuantiles).join(',');
      entries.push(`{"histograms":{"supported_quantiles":[${supported}],"computed_quantiles":[${computed}]}}`);
    } else {
      entries.push(`{"histograms":[${data.histograms.map((h) => jsonBuckets(h, mode)).join(',')}]}`);
    }
  }
  return `{"stats":[${entries.join(',')}]}`;
}
