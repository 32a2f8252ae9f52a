// The admin endpoints for node:http, as Envoy's AdminImpl serves them: exact path match (else 404 with
// the help text), POST required for endpoints that change state (else 405), Envoy's response headers,
// and each endpoint's exact output format. Stats rendering lives in core/stats; this file routes.
import type http from 'node:http';
import { collectStats, flushHistograms, resetCounters } from '../../core/stats/collect.js';
import { parseStatsParams, renderStatsJson, renderStatsText, selectStats, statsWanted } from '../../core/stats/render.js';
import { renderPrometheus } from '../../core/stats/render-prometheus.js';
import type { AdminContext } from './context.js';
import { renderCerts } from './certs.js';
import { renderClustersJson, renderClustersText } from './clusters.js';
import { renderConfigDump } from './config-dump.js';
import { addressJson, parseHostPort, prettyJson } from './proto-json.js';
import { mergeFormBody, splitPathQuery } from './query.js';
import { STATE_NAMES, refreshServerGauges, renderMemory, renderServerInfo, serverState } from './server-info.js';

export { refreshServerGauges } from './server-info.js';
export { flushHistograms } from '../../core/stats/collect.js';

type ContentType = 'text' | 'json' | 'html';

interface Reply {
  readonly status: number;
  readonly body: string;
  readonly type?: ContentType;
  /** Runs once the response has been written (quitquitquit exits after answering). */
  readonly after?: () => void;
}

interface Request {
  readonly method: string;
  readonly query: Map<string, string>;
}

type Param = readonly [id: string, help: string, choices?: readonly string[]];

interface Endpoint {
  readonly path: string;
  readonly help: string;
  readonly mutates: boolean;
  readonly params: readonly Param[];
  run(r: Request): Reply;
}

const CONTENT_TYPES: Readonly<Record<ContentType, string>> = {
  text: 'text/plain; charset=UTF-8',
  json: 'application/json',
  html: 'text/html; charset=UTF-8',
};

const MAX_BODY = 1 << 20;
const OK: Reply = { status: 200, body: 'OK\n' };

/** spdlog's level names, in order. */
const LEVELS = ['trace', 'debug', 'info', 'warning', 'error', 'critical', 'off'] as const;
/** Component loggers: nuncio has one level for all of them. */
const LOGGERS = [
  'admin', 'config', 'connection', 'conn_handler', 'dns', 'file', 'health_checker', 'http', 'http2', 'init', 'main',
  'misc', 'pool', 'router', 'runtime', 'upstream',
] as const;

function text(status: number, body: string): Reply {
  return { status, body };
}

function json(body: string): Reply {
  return { status: 200, body, type: 'json' };
}

class Admin {
  readonly endpoints: Endpoint[];
  private readonly byPath: Map<string, Endpoint>;

  constructor(private readonly ctx: AdminContext) {
    const e = (path: string, help: string, mutates: boolean, run: (r: Request) => Reply, params: readonly Param[] = []): Endpoint => ({
      path,
      help,
      mutates,
      params,
      run,
    });
    this.endpoints = [
      e('/', 'Admin home page', false, () => ({ status: 200, body: this.home(), type: 'html' })),
      e('/certs', 'print certs on machine', false, () => json(renderCerts(this.ctx.snapshot()))),
      e('/clusters', 'upstream cluster status', false, (r) => this.clusters(r), [['format', 'File format to use', ['text', 'json']]]),
      e('/config_dump', 'dump current Envoy configs (experimental)', false, (r) => this.configDump(r), [
        ['resource', 'The resource to dump'],
        [
          'mask',
          'The mask to apply. When both resource and mask are specified, the mask is applied to every element in the ' +
            'desired repeated field so that only a subset of fields are returned. The mask is parsed as a ProtobufWkt::FieldMask',
        ],
      ]),
      e('/drain_listeners', 'drain listeners', true, (r) => this.drain(r), [
        [
          'graceful',
          'When draining listeners, enter a graceful drain period prior to closing listeners. This behaviour and ' +
            'duration is configurable via server options or CLI',
        ],
        ['skip_exit', 'When draining listeners, do not exit after the drain period. This must be used with graceful'],
        ['inboundonly', 'Drains all inbound listeners. traffic_direction field in envoy_v3_api_msg_config.listener.v3.Listener is used to determine whether a listener is inbound or outbound.'],
      ]),
      e('/healthcheck/fail', 'cause the server to fail health checks', true, () => {
        this.ctx.setHealthCheckFailed(true);
        return OK;
      }),
      e('/healthcheck/ok', 'cause the server to pass health checks', true, () => {
        this.ctx.setHealthCheckFailed(false);
        return OK;
      }),
      e('/help', 'print out list of admin commands', false, () => text(200, this.help())),
      e('/hot_restart_version', 'print the hot restart compatibility version', false, () => text(200, 'disabled')),
      e('/listeners', 'print listener info', false, (r) => this.listeners(r), [['format', 'File format to use', ['text', 'json']]]),
      e('/logging', 'query/change logging levels', true, (r) => this.logging(r), [
        ['paths', 'Change multiple logging levels by setting to <logger_name1>:<desired_level1>,<logger_name2>:<desired_level2>.'],
        ['level', 'desired logging level', ['', ...LEVELS]],
      ]),
      e('/memory', 'print current allocation/heap usage', false, () => json(renderMemory(this.ctx))),
      e('/quitquitquit', 'exit the server', true, () => ({ ...OK, after: () => this.ctx.quit() })),
      e('/ready', 'print server state, return 200 if LIVE, otherwise return 503', false, () => {
        const s = serverState(this.ctx);
        return text(s === 0 ? 200 : 503, `${STATE_NAMES[s]}\n`);
      }),
      e('/reset_counters', 'reset all counters to zero', true, () => {
        resetCounters(this.ctx.registry);
        this.ctx.resetCounters();
        return OK;
      }),
      e('/runtime', 'print runtime values', false, () => json(this.runtime())),
      e(
        '/runtime_modify',
        'Adds or modifies runtime values as passed in query parameters. To delete a previously added key, use an empty ' +
          'string as the value. Note that deletion only applies to overrides added via this endpoint; values loaded from ' +
          'disk can be modified via override but not deleted. E.g. ?key1=value1&key2=value2...',
        true,
        (r) => this.runtimeModify(r),
      ),
      e('/server_info', 'print server version/status information', false, () => json(renderServerInfo(this.ctx))),
      e('/stats', 'print server stats', false, (r) => this.stats(r.query, false), [
        ['usedonly', 'Only include stats that have been written by system since restart'],
        ['filter', 'Regular expression (Google re2) for filtering stats'],
        ['format', 'Format to use', ['text', 'json', 'prometheus']],
        ['type', 'Stat types to include.', ['All', 'Counters', 'Histograms', 'Gauges', 'TextReadouts']],
        ['histogram_buckets', 'Histogram bucket display mode', ['cumulative', 'disjoint', 'none']],
      ]),
      e('/stats/prometheus', 'print server stats in prometheus format', false, (r) => this.stats(r.query, true), [
        ['usedonly', 'Only include stats that have been written by system since restart'],
        ['text_readouts', 'Render text_readouts as new gaugues with value 0 (increases Prometheus data size)'],
        ['filter', 'Regular expression (Google re2) for filtering stats'],
      ]),
    ];
    this.byPath = new Map(this.endpoints.map((x) => [x.path, x]));
  }

  dispatch(method: string, path: string, query: Map<string, string>): Reply {
    const ep = this.byPath.get(path);
    if (ep === undefined) return text(404, `invalid path. ${this.help()}`);
    // Envoy requires POST for everything that changes state, /logging included (POST /logging lists).
    if (ep.mutates && method !== 'POST') return text(405, `Method ${method} not allowed, POST required.`);
    return ep.run({ method, query });
  }

  help(): string {
    let out = 'admin commands are:\n';
    const sorted = [...this.endpoints].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const ep of sorted) {
      out += `  ${ep.path}${ep.mutates ? ' (POST)' : ''}: ${ep.help}\n`;
      for (const [id, help, choices] of ep.params) {
        out += `      ${id}: ${help}`;
        if (choices !== undefined) out += `; One of (${choices.join(', ')})`;
        out += '\n';
      }
    }
    return out;
  }

  private home(): string {
    const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&#39;');
    let rows = '';
    for (const ep of this.endpoints) {
      if (ep.path === '/') continue;
      const cmd = ep.mutates
        ? `<form action='${esc(ep.path)}' method='post' class='home-form'><button class='button-as-link'>${esc(ep.path.slice(1))}</button></form>`
        : `<a href='${esc(ep.path)}'>${esc(ep.path.slice(1))}</a>`;
      rows += `    <tr class='home-row'><td class='home-data'>${cmd}</td><td class='home-data'>${esc(ep.help)}</td></tr>\n`;
    }
    return (
      "<!DOCTYPE html>\n<html lang='en'>\n<head>\n  <title>Envoy Admin</title>\n</head>\n<body>\n" +
      "  <table class='home-table'>\n    <thead>\n      <th class='home-data'>Command</th>\n" +
      "      <th class='home-data'>Description</th>\n    </thead>\n    <tbody>\n" +
      rows +
      '    </tbody>\n  </table>\n</body>\n</html>\n'
    );
  }

  private stats(query: Map<string, string>, prometheus: boolean): Reply {
    const p = parseStatsParams(query);
    if ('status' in p) return text(p.status, p.body);
    const ctx = this.ctx;
    const snap = ctx.snapshot();
    const boot = snap.bootstrap as { stats_flush_on_admin?: boolean } | null;
    if (boot?.stats_flush_on_admin === true) flushHistograms(ctx.registry);
    refreshServerGauges(ctx);
    const data = collectStats(ctx.registry, snap, statsWanted(prometheus ? { ...p, format: 'prometheus' } : p));
    if (prometheus || p.format === 'prometheus') return text(200, renderPrometheus(data, p));
    const selected = selectStats(data, p);
    if (p.format === 'json') return json(renderStatsJson(selected, p));
    return text(200, renderStatsText(selected, p));
  }

  private clusters(r: Request): Reply {
    const clusters = this.ctx.snapshot().clusters;
    if (r.query.get('format') === 'json') return json(renderClustersJson(this.ctx, clusters));
    return text(200, renderClustersText(this.ctx, clusters));
  }

  private listeners(r: Request): Reply {
    const addrs = this.ctx.listenerAddresses();
    const list = this.ctx.snapshot().listeners.map((l) => {
      const actual = addrs.get(l.name);
      const hp = actual !== undefined ? parseHostPort(actual) : null;
      return { name: l.name, address: hp?.address ?? l.address.address, port: hp?.port ?? l.address.port, text: actual };
    });
    if (r.query.get('format') === 'json') {
      const statuses = list.map((l) => ({ name: l.name, local_address: addressJson(l.address, l.port) }));
      return json(prettyJson(statuses.length > 0 ? { listener_statuses: statuses } : {}));
    }
    let out = '';
    for (const l of list) {
      const a = l.text ?? (l.address.includes(':') ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`);
      out += `${l.name}::${a}\n`;
    }
    return text(200, out);
  }

  private configDump(r: Request): Reply {
    const d = renderConfigDump(this.ctx.snapshot().bootstrap, this.ctx.startedAtMs, r.query);
    return { status: d.status, body: d.body, type: d.json ? 'json' : 'text' };
  }

  private runtime(): string {
    const rt = this.ctx.runtime();
    const entries: Record<string, unknown> = {};
    for (const k of [...rt.entries.keys()].sort()) {
      const e = rt.entries.get(k)!;
      entries[k] = { final_value: e.finalValue, layer_values: [...e.layerValues] };
    }
    return prettyJson({ layers: [...rt.layers], entries });
  }

  private runtimeModify(r: Request): Reply {
    if (r.query.size === 0) {
      return text(
        400,
        'usage: /runtime_modify?key1=value1&key2=value2&keyN=valueN\n' +
          '       or send the parameters as form values\n' +
          'use an empty value to remove a previously added override',
      );
    }
    const err = this.ctx.runtimeModify(Object.fromEntries(r.query));
    return err === null ? OK : text(503, err);
  }

  private drain(r: Request): Reply {
    const graceful = r.query.has('graceful');
    const skipExit = r.query.has('skip_exit');
    if (skipExit && !graceful) return text(400, 'skip_exit requires graceful\n');
    this.ctx.drainListeners({ graceful, inboundOnly: r.query.has('inboundonly'), skipExit });
    return OK;
  }

  private logging(r: Request): Reply {
    const q = new Map(r.query);
    if (q.get('level') === '') q.delete('level');
    if (q.get('paths') === '') q.delete('paths');
    const err = this.changeLevel(q);
    let out = '';
    if (err !== null) {
      out += `error: ${err}\n\n`;
      out += 'usage: /logging?<name>=<level> (change single level)\n';
      out += 'usage: /logging?paths=name1:level1,name2:level2,... (change multiple levels)\n';
      out += 'usage: /logging?level=<level> (change all levels)\n';
      out += `levels: ${LEVELS.map((l) => `${l} `).join('')}\n`;
    }
    const level = this.ctx.logLevel();
    out += 'active loggers:\n';
    for (const name of LOGGERS) out += `  ${name}: ${level}\n`;
    out += '\n';
    return text(err === null ? 200 : 400, out);
  }

  /** Applies a /logging change; returns Envoy's error text or null. */
  private changeLevel(q: Map<string, string>): string | null {
    if (q.size === 0) return null;
    if (q.size !== 1) return 'invalid number of parameters';
    const known = (l: string): boolean => (LEVELS as readonly string[]).includes(l === 'warn' ? 'warning' : l);
    const level = q.get('level');
    if (level !== undefined) {
      if (!known(level) || !this.ctx.setLogLevel(level)) return 'unknown logger level';
      return null;
    }
    const changes: [string, string][] = [];
    const paths = q.get('paths');
    if (paths !== undefined) {
      for (const pair of paths.split(',')) {
        if (pair.trim() === '') continue;
        const i = pair.indexOf(':');
        const name = (i < 0 ? pair : pair.slice(0, i)).trim();
        const lvl = i < 0 ? '' : pair.slice(i + 1).trim();
        if (name === '' || lvl === '') return 'empty logger name or empty logger level';
        changes.push([name, lvl]);
      }
    } else {
      const [name, lvl] = [...q][0];
      changes.push([name, lvl]);
    }
    for (const [, lvl] of changes) if (!known(lvl)) return 'unknown logger level';
    for (const [name] of changes) if (!(LOGGERS as readonly string[]).includes(name)) return 'unknown logger name';
    // All of nuncio's components log at one level, so a component change sets that level.
    for (const [, lvl] of changes) this.ctx.setLogLevel(lvl);
    return null;
  }
}

function send(res: http.ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, {
    'content-type': CONTENT_TYPES[reply.type ?? 'text'],
    'cache-control': 'no-cache, max-age=0',
    'x-content-type-options': 'nosniff',
    server: 'envoy',
  });
  if (reply.after !== undefined) res.end(reply.body, reply.after);
  else res.end(reply.body);
}

function handle(admin: Admin, req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
  const method = req.method ?? 'GET';
  const { path, query } = splitPathQuery(req.url ?? '/');
  const ctype = req.headers['content-type'] ?? '';
  if (body !== '' && ctype.toLowerCase().startsWith('application/x-www-form-urlencoded')) mergeFormBody(query, body);
  let reply: Reply;
  try {
    reply = admin.dispatch(method, path, query);
  } catch (e) {
    reply = text(500, `internal error: ${(e as Error).message}\n`);
  }
  send(res, reply);
}

/** The admin request handler for node:http. */
export function createAdminHandler(ctx: AdminContext): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const admin = new Admin(ctx);
  return (req, res) => {
    if (req.method !== 'POST') {
      req.resume();
      handle(admin, req, res, '');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      if (tooBig) send(res, text(413, 'Payload Too Large'));
      else handle(admin, req, res, Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', () => res.destroy());
  };
}
