// /server_info (admin.v3.ServerInfo printed with every primitive field, as Envoy does), /memory, the
// server state names of /ready, and the `server.*` gauges the admin thread owns.
import type { Snapshot } from '../../core/config/types.js';
import { LISTENER, SERVER } from '../../core/stats/defs.js';
import type { AdminContext, CommandLineOptions, ServerState } from './context.js';
import { durationJson, prettyJson, u64 } from './proto-json.js';

export const STATE_NAMES = ['LIVE', 'DRAINING', 'PRE_INITIALIZING', 'INITIALIZING'] as const;

/** Utility::serverState: a failed health check turns a LIVE server into DRAINING. */
export function serverState(ctx: Pick<AdminContext, 'state' | 'healthCheckFailed'>): ServerState {
  const s = ctx.state();
  return s === 0 && ctx.healthCheckFailed() ? 1 : s;
}

const MODES: Readonly<Record<CommandLineOptions['mode'], string>> = { serve: 'Serve', validate: 'Validate', init_only: 'InitOnly' };

/** admin.v3.CommandLineOptions: primitives in declaration order, then the Duration fields. */
export function commandLineOptionsJson(o: CommandLineOptions): Record<string, unknown> {
  return {
    base_id: u64(o.baseId),
    use_dynamic_base_id: false,
    base_id_path: '',
    concurrency: o.concurrency,
    config_path: o.configPath,
    config_yaml: o.configYaml,
    allow_unknown_static_fields: o.allowUnknownStaticFields,
    reject_unknown_dynamic_fields: false,
    ignore_unknown_dynamic_fields: false,
    admin_address_path: '',
    local_address_ip_version: o.localAddressIpVersion,
    log_level: o.logLevel,
    component_log_level: o.componentLogLevel,
    log_format: o.logFormat,
    log_format_escaped: false,
    log_path: o.logPath,
    service_cluster: o.serviceCluster,
    service_node: o.serviceNode,
    service_zone: o.serviceZone,
    drain_strategy: o.drainStrategy === 'immediate' ? 'Immediate' : 'Gradual',
    mode: MODES[o.mode],
    disable_hot_restart: o.disableHotRestart,
    enable_mutex_tracing: false,
    restart_epoch: o.restartEpoch,
    cpuset_threads: false,
    disabled_extensions: [],
    bootstrap_version: 0,
    enable_fine_grain_logging: false,
    socket_path: '@envoy_domain_socket',
    socket_mode: 0,
    enable_core_dump: false,
    stats_tag: [],
    file_flush_interval: durationJson(o.fileFlushIntervalMsec),
    drain_time: durationJson(o.drainTimeS * 1000),
    parent_shutdown_time: durationJson(o.parentShutdownTimeS * 1000),
  };
}

/** config.core.v3.Node as Envoy fills it in (user agent, build version), all primitives printed. */
export function nodeJson(s: Snapshot, version: string): Record<string, unknown> {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(version);
  const node: Record<string, unknown> = { id: s.node.id, cluster: s.node.cluster, dynamic_parameters: {} };
  const loc = s.node.locality;
  if (loc.region !== '' || loc.zone !== '' || loc.subZone !== '') node.locality = { region: loc.region, zone: loc.zone, sub_zone: loc.subZone };
  node.user_agent_name = 'nuncio';
  node.user_agent_build_version = {
    version: { major_number: m ? Number(m[1]) : 0, minor_number: m ? Number(m[2]) : 0, patch: m ? Number(m[3]) : 0 },
  };
  node.extensions = [];
  node.client_features = [];
  node.listening_addresses = [];
  return node;
}

/** The /server_info body. */
export function renderServerInfo(ctx: AdminContext, now = Date.now()): string {
  const up = durationJson(Math.max(0, Math.floor((now - ctx.startedAtMs) / 1000)) * 1000);
  return prettyJson({
    version: ctx.version,
    state: STATE_NAMES[serverState(ctx)],
    hot_restart_version: 'disabled',
    command_line_options: commandLineOptionsJson(ctx.options),
    uptime_current_epoch: up,
    uptime_all_epochs: up,
    node: nodeJson(ctx.snapshot(), ctx.version),
  });
}

/** The /memory body (admin.v3.Memory: uint64 fields as strings). */
export function renderMemory(ctx: AdminContext): string {
  const m = ctx.memory();
  return prettyJson({
    allocated: u64(m.allocated),
    heap_size: u64(m.heapSize),
    pageheap_unmapped: u64(m.pageheapUnmapped),
    pageheap_free: u64(m.pageheapFree),
    total_thread_cache: u64(m.totalThreadCache),
    total_physical_bytes: u64(m.physicalSize),
  });
}

const DAY_MS = 86_400_000;

/**
 * Writes the admin-owned `server.*` gauges into the admin row of the `server` block (uptime, memory,
 * state, live, concurrency, certificate expiry, total connections). Call before rendering stats and at
 * each stats flush.
 */
export function refreshServerGauges(ctx: AdminContext, now = Date.now()): void {
  const reg = ctx.registry;
  const block = reg.get('server');
  if (block === undefined) return;
  const row = block.row(reg.adminRow);
  const state = serverState(ctx);
  const mem = ctx.memory();
  row[SERVER['server.uptime']] = Math.max(0, Math.floor((now - ctx.startedAtMs) / 1000));
  row[SERVER['server.memory_allocated']] = mem.allocated;
  row[SERVER['server.memory_heap_size']] = mem.heapSize;
  row[SERVER['server.memory_physical_size']] = mem.physicalSize;
  row[SERVER['server.state']] = state;
  row[SERVER['server.live']] = ctx.state() === 0 && !ctx.healthCheckFailed() ? 1 : 0;
  row[SERVER['server.concurrency']] = ctx.concurrency;
  row[SERVER['server.hot_restart_epoch']] = ctx.options.restartEpoch;
  const expiry = ctx.firstCertExpiryMs();
  row[SERVER['server.days_until_first_cert_expiring']] = Number.isFinite(expiry) ? Math.max(0, Math.floor((expiry - now) / DAY_MS)) : 0;
  let total = 0;
  for (const key of reg.live) {
    if (!key.startsWith('listener.') || key === 'listener.admin') continue;
    const b = reg.get(key);
    if (b !== undefined) total += b.sum(LISTENER.downstream_cx_active);
  }
  row[SERVER['server.total_connections']] = total;
}
