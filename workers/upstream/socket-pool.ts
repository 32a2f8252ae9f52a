// What every socket-backed pool shares on top of PoolBase: the worker's timers, the cluster's TLS
// options, and the event entry points its connections call (connected, failed, stream done, GOAWAY,
// closed, bytes). Each protocol's pool only says how to open, start a stream on, and close a connection.
import { PoolBase, type PoolConnection } from '../../core/upstream/pool-base.js';
import type { ClusterRuntime } from '../../core/cluster/runtime.js';
import type { Host } from '../../core/cluster/host.js';
import type { Clock, Timers, UpstreamCallbacks } from '../../core/http/contracts.js';
import { CLUSTER } from '../../core/stats/defs.js';
import type { UpstreamTlsOptions } from './connect.js';

export interface SocketConnection extends PoolConnection {
  start(cb: UpstreamCallbacks): void;
  close(): void;
  /** Arms the idle timer when the connection has nothing in flight (multiplexed protocols). */
  idle?(): void;
}

export abstract class SocketPool<C extends SocketConnection> extends PoolBase<C> {
  constructor(
    cluster: ClusterRuntime,
    host: Host,
    clock: Clock,
    readonly timers: Timers,
    protected readonly tlsOpts: UpstreamTlsOptions | null,
  ) {
    super(cluster, host, clock);
  }

  protected startStream(c: C, cb: UpstreamCallbacks): void {
    c.start(cb);
  }

  protected closeConnection(c: C): void {
    c.close();
  }

  ready(c: C): void {
    this.connected(c);
    c.idle?.();
  }

  failConnect(c: C, timeout: boolean, reason: string): void {
    this.connectFailed(c, timeout, reason);
  }

  streamFinished(c: C): void {
    this.streamDone(c);
    c.idle?.();
  }

  /** The peer sent GOAWAY: no new streams on this connection. */
  goaway(c: C): void {
    this.stats[CLUSTER.upstream_cx_close_notify]++;
    this.connectionDraining(c);
  }

  connClosed(c: C, remote: boolean): void {
    this.closed(c, remote);
  }

  txBytes(n: number): void {
    this.stats[CLUSTER.upstream_cx_tx_bytes_total] += n;
  }

  rxBytes(n: number): void {
    this.stats[CLUSTER.upstream_cx_rx_bytes_total] += n;
  }
}
