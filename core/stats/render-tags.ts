// Envoy's default tag extraction (source/common/config/well_known_names.cc, TagProducerImpl): turns
// `cluster.s.upstream_rq_200` into the tag-extracted name `cluster.upstream_rq` with tags
// envoy.response_code=200, envoy.cluster_name=s. Extractors without a prefix token run first, then those
// keyed by the name's first token, each in Envoy's declaration order (regex ones before tokenized ones);
// every extractor sees the whole name and the matched spans are removed together at the end.
// Extractors for filters nuncio does not have (dynamo, mongo, grpc bridge, ...) can never match its
// names; the ones that share a prefix with nuncio's scopes are kept so a name is never mis-tagged.

export interface ExtractedName {
  /** Name with the tag spans removed (before Prometheus' `envoy_` prefix and sanitising). */
  readonly name: string;
  /** [tag name, value] in extraction order. */
  readonly tags: readonly (readonly [string, string])[];
}

type Span = [number, number];

interface Extractor {
  readonly tag: string;
  /** null: runs on every name; otherwise only when the first token equals it. */
  readonly prefix: string | null;
  extract(name: string, tokens: readonly string[], spans: Span[]): string | null;
}

const ADDRESS = String.raw`(?:(?:\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[[a-fA-F_\d]+\])_\d+)`;
const CIPHER = String.raw`[\w-]+`;
const TLS_VERSION = String.raw`TLSv\d\.\d`;
const TAG_VALUE = String.raw`[^\.]+`;
const LISTENER_OR_CLUSTER = String.raw`(?:listener|cluster)\..*?`;

function expand(re: string): RegExp {
  const src = re
    .replaceAll('<ADDRESS>', ADDRESS)
    .replaceAll('<CIPHER>', CIPHER)
    .replaceAll('<TLS_VERSION>', TLS_VERSION)
    .replaceAll('<TAG_VALUE>', TAG_VALUE)
    .replaceAll('<ROUTE_CONFIG_NAME>', String.raw`[\w.-]+`)
    .replaceAll('<LISTENER_OR_CLUSTER_WITH_NAME>', LISTENER_OR_CLUSTER);
  return new RegExp(src, 'd');
}

/** Envoy's TagExtractorImplBase::extractRegexPrefix: the literal first token of an anchored regex. */
function regexPrefix(re: string): string | null {
  const m = /^\^([A-Za-z0-9_]+)\\\./.exec(re);
  return m ? m[1] : null;
}

function regexExtractor(tag: string, re: string, substr = '', negative = ''): Extractor {
  const rx = expand(re);
  return {
    tag,
    prefix: regexPrefix(re),
    extract(name, _tokens, spans) {
      if (substr !== '' && !name.includes(substr)) return null;
      const m = rx.exec(name) as (RegExpExecArray & { indices: [number, number][] }) | null;
      if (m === null || m[1] === undefined) return null;
      const value = m[2] !== undefined && m[2] !== '' ? m[2] : m[1];
      if (negative !== '' && value === negative) return null;
      spans.push([m.indices[1][0], m.indices[1][1]]);
      return value;
    },
  };
}

/** TagExtractorTokensImpl: `*` one token, `**` any number, `$` the captured token. */
function tokenExtractor(tag: string, pattern: string): Extractor {
  const pat = pattern.split('.');
  const matchIndex = pat.indexOf('$');
  const first = pat[0];
  const search = (input: readonly string[], ii: number, pi: number, charIndex: number, out: { start: number; index: number }): boolean => {
    for (; ii < input.length && pi < pat.length; ii++, pi++) {
      if (pi === matchIndex) {
        out.start = charIndex;
        out.index = ii;
        // Envoy does not advance the character index past the captured token; only `start` is used.
        continue;
      }
      const want = pat[pi];
      if (want === '**') {
        if (pi === pat.length - 1) return true;
        pi++;
        for (; ii < input.length; ii++) {
          if (search(input, ii, pi, charIndex, out)) return true;
          charIndex += input[ii].length + 1;
        }
        return false;
      }
      if (want !== '*' && want !== input[ii]) return false;
      charIndex += input[ii].length + 1;
    }
    return pi === pat.length && ii === input.length;
  };
  return {
    tag,
    prefix: first === '$' || first === '*' || first === '**' ? null : first,
    extract(_name, tokens, spans) {
      const out = { start: 0, index: -1 };
      if (!search(tokens, 0, 0, 0, out) || out.index < 0) return null;
      const value = tokens[out.index];
      let start = out.start;
      let end = start + value.length;
      if (out.index < tokens.length - 1) end++;
      else if (start > 0) start--;
      spans.push([start, end]);
      return value;
    },
  };
}

// Declaration order of well_known_names.cc: every regex descriptor, then every tokenized one.
const REGEX: Extractor[] = [
  regexExtractor('envoy.response_code', String.raw`_rq(_(\d{3}))$`, '_rq_'),
  regexExtractor('envoy.response_code_class', String.raw`_rq_((\d))xx$`, '_rq_'),
  regexExtractor('envoy.ssl_cipher', String.raw`^listener\..*?\.ssl\.ciphers(\.(<CIPHER>))$`, '.ssl.ciphers.'),
  regexExtractor('envoy.ssl_curve', String.raw`^<LISTENER_OR_CLUSTER_WITH_NAME>\.ssl\.curves(\.(<CIPHER>))$`, '.ssl.curves.'),
  regexExtractor('envoy.ssl_sigalg', String.raw`^<LISTENER_OR_CLUSTER_WITH_NAME>\.ssl\.sigalgs(\.(<CIPHER>))$`, '.ssl.sigalgs.'),
  regexExtractor('envoy.ssl_version', String.raw`^<LISTENER_OR_CLUSTER_WITH_NAME>\.ssl\.versions(\.(<TLS_VERSION>))$`, '.ssl.versions.'),
  regexExtractor('cipher_suite', String.raw`^cluster\.<TAG_VALUE>\.ssl\.ciphers(\.(<CIPHER>))$`, '.ssl.ciphers.'),
  regexExtractor('envoy.http_conn_manager_prefix', String.raw`^listener\..*?\.http\.((<TAG_VALUE>)\.)`, '.http.'),
  regexExtractor(
    'envoy.worker_id',
    String.raw`^(?:listener\.(?:<ADDRESS>|<TAG_VALUE>)\.|server\.|listener_manager\.)worker_((\d+)\.)`,
  ),
  regexExtractor('envoy.listener_address', String.raw`^listener\.((<ADDRESS>|<TAG_VALUE>)\.)`, '', 'admin'),
  regexExtractor('envoy.rds_route_config', String.raw`^http\.<TAG_VALUE>\.rds\.((<ROUTE_CONFIG_NAME>)\.)\w+?$`, '.rds.'),
];
const TOKENIZED: Extractor[] = [
  tokenExtractor('envoy.grpc_bridge_method', 'cluster.*.grpc.*.$.**'),
  tokenExtractor('envoy.http_user_agent', 'http.*.user_agent.$.**'),
  tokenExtractor('envoy.virtual_cluster', 'vhost.*.vcluster.$.**'),
  tokenExtractor('envoy.fault_downstream_cluster', 'http.*.fault.$.**'),
  tokenExtractor('envoy.grpc_bridge_service', 'cluster.*.grpc.$.**'),
  tokenExtractor('envoy.tcp_prefix', 'tcp.$.**'),
  tokenExtractor('envoy.udp_prefix', 'udp.$.**'),
  tokenExtractor('envoy.clientssl_prefix', 'auth.clientssl.$.**'),
  tokenExtractor('envoy.ratelimit_prefix', 'ratelimit.$.**'),
  tokenExtractor('envoy.cluster_name', 'cluster.$.**'),
  tokenExtractor('envoy.ext_authz_prefix', 'cluster.*.ext_authz.$.**'),
  tokenExtractor('envoy.ext_authz_prefix', 'http.*.ext_authz.$.**'),
  tokenExtractor('envoy.http_conn_manager_prefix', 'http.$.**'),
  tokenExtractor('envoy.virtual_host', 'vhost.$.**'),
  tokenExtractor('envoy.route', 'vhost.*.route.$.**'),
  tokenExtractor('envoy.thrift_prefix', 'thrift.$.**'),
  tokenExtractor('envoy.redis_prefix', 'redis.$.**'),
  tokenExtractor('envoy.local_http_ratelimit_prefix', '$.http_local_rate_limit.**'),
  tokenExtractor('envoy.local_network_ratelimit_prefix', 'local_rate_limit.$.**'),
  tokenExtractor('envoy.local_listener_ratelimit_prefix', 'listener_local_ratelimit.$.**'),
  tokenExtractor('envoy.dns_filter_prefix', 'dns_filter.$.**'),
];

const WITHOUT_PREFIX: Extractor[] = [];
const BY_PREFIX = new Map<string, Extractor[]>();
for (const e of [...REGEX, ...TOKENIZED]) {
  if (e.prefix === null) WITHOUT_PREFIX.push(e);
  else {
    const l = BY_PREFIX.get(e.prefix) ?? [];
    l.push(e);
    BY_PREFIX.set(e.prefix, l);
  }
}
/** Tag names with more than one extractor: only the first match counts. */
const SHARED_TAGS = new Set(
  [...REGEX, ...TOKENIZED].map((e) => e.tag).filter((t, i, all) => all.indexOf(t) !== i),
);

function removeSpans(name: string, spans: Span[]): string {
  if (spans.length === 0) return name;
  spans.sort((a, b) => a[0] - b[0]);
  let out = '';
  let pos = 0;
  for (const [s, e] of spans) {
    if (s > pos) out += name.slice(pos, s);
    if (e > pos) pos = e;
  }
  return out + name.slice(pos);
}

function extractUncached(name: string): ExtractedName {
  const tokens = name.split('.');
  const spans: Span[] = [];
  const tags: [string, string][] = [];
  const seen = new Set<string>();
  const run = (e: Extractor): void => {
    const shared = SHARED_TAGS.has(e.tag);
    if (shared && seen.has(e.tag)) return;
    const v = e.extract(name, tokens, spans);
    if (v === null) return;
    tags.push([e.tag, v]);
    if (shared) seen.add(e.tag);
  };
  for (const e of WITHOUT_PREFIX) run(e);
  const dot = name.indexOf('.');
  if (dot >= 0) for (const e of BY_PREFIX.get(name.slice(0, dot)) ?? []) run(e);
  return { name: removeSpans(name, spans), tags };
}

// Stat names are fixed by config (plus at most 1500 per-code names per cluster), so a cache is bounded
// in practice; the cap only guards against something unforeseen.
const cache = new Map<string, ExtractedName>();
const CACHE_CAP = 200_000;

/** Tag-extracted name and tags of a full stat name, as Envoy's default TagProducer gives them. */
export function extractTags(name: string): ExtractedName {
  let r = cache.get(name);
  if (r === undefined) {
    if (cache.size >= CACHE_CAP) cache.clear();
    r = extractUncached(name);
    cache.set(name, r);
  }
  return r;
}
