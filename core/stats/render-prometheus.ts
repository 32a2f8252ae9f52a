// /stats/prometheus as Envoy's PrometheusStatsFormatter writes it: stats grouped into families by
// tag-extracted name, families sorted (symbol-table order: token by token), counters then gauges then
// histograms, each family `# TYPE` + series + a blank line; histograms as cumulative `_bucket` series
// at Envoy's default bounds plus `+Inf`, `_sum` and `_count`.
import type { CollectedHistogram, CollectedStat, CollectedStats } from './collect.js';
import { BUCKET_BOUNDS } from './histograms.js';
import { formatG, formatInt } from './render-numbers.js';
import { extractTags } from './render-tags.js';
import type { StatsParams } from './render.js';

/** Envoy's sanitizeName: anything outside [a-zA-Z0-9_] becomes `_`. */
export function sanitizePrometheusName(s: string): string {
  return s.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** Label values escaped per the exposition format (a no-op for the names Envoy generates). */
function labelValue(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}

function formattedTags(tags: readonly (readonly [string, string])[]): string {
  let s = '';
  for (const [k, v] of tags) s += `${s === '' ? '' : ','}${sanitizePrometheusName(k)}="${labelValue(v)}"`;
  return s;
}

/** SymbolTable::lessThan: compares the `.`-separated tokens in turn. */
export function tokenCompare(a: string, b: string): number {
  const ta = a.split('.');
  const tb = b.split('.');
  const n = Math.min(ta.length, tb.length);
  for (let i = 0; i < n; i++) {
    if (ta[i] !== tb[i]) return ta[i] < tb[i] ? -1 : 1;
  }
  return ta.length - tb.length;
}

interface Family<T> {
  readonly extracted: string;
  readonly members: { readonly full: string; readonly tags: string; readonly item: T }[];
}

function families<T extends { readonly name: string }>(items: readonly T[]): Family<T>[] {
  const byName = new Map<string, Family<T>>();
  for (const item of items) {
    const x = extractTags(item.name);
    let f = byName.get(x.name);
    if (f === undefined) {
      f = { extracted: x.name, members: [] };
      byName.set(x.name, f);
    }
    f.members.push({ full: item.name, tags: formattedTags(x.tags), item });
  }
  const out = [...byName.values()].sort((a, b) => tokenCompare(a.extracted, b.extracted));
  for (const f of out) f.members.sort((a, b) => tokenCompare(a.full, b.full));
  return out;
}

function numericFamilies(out: string[], stats: readonly CollectedStat[], type: 'counter' | 'gauge'): void {
  for (const f of families(stats)) {
    const metric = `envoy_${sanitizePrometheusName(f.extracted)}`;
    out.push(`# TYPE ${metric} ${type}\n`);
    for (const m of f.members) out.push(`${metric}{${m.tags}} ${formatInt(m.item.value)}\n`);
    out.push('\n');
  }
}

function histogramFamilies(out: string[], hists: readonly CollectedHistogram[]): void {
  for (const f of families(hists)) {
    const metric = `envoy_${sanitizePrometheusName(f.extracted)}`;
    out.push(`# TYPE ${metric} histogram\n`);
    for (const m of f.members) {
      const s = m.item.cumulative;
      const lead = m.tags === '' ? '' : `${m.tags},`;
      for (let i = 0; i < BUCKET_BOUNDS.length; i++) {
        out.push(`${metric}_bucket{${lead}le="${formatG(BUCKET_BOUNDS[i], 32)}"} ${formatInt(s.buckets[i])}\n`);
      }
      out.push(`${metric}_bucket{${lead}le="+Inf"} ${formatInt(s.count)}\n`);
      out.push(`${metric}_sum{${m.tags}} ${formatG(s.sum, 32)}\n`);
      out.push(`${metric}_count{${m.tags}} ${formatInt(s.count)}\n`);
    }
    out.push('\n');
  }
}

/** The Prometheus text exposition of the collected stats (filter already applied; usedonly here). */
export function renderPrometheus(data: CollectedStats, p: Pick<StatsParams, 'usedOnly'>): string {
  const stats = p.usedOnly ? data.stats.filter((s) => s.value !== 0) : data.stats;
  const hists = p.usedOnly ? data.histograms.filter((h) => h.cumulative.count > 0) : data.histograms;
  const out: string[] = [];
  numericFamilies(out, stats.filter((s) => s.kind === 'counter'), 'counter');
  numericFamilies(out, stats.filter((s) => s.kind === 'gauge'), 'gauge');
  histogramFamilies(out, hists);
  return out.join('');
}
