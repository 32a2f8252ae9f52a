// A bootstrap exercising what the stats and admin output depend on: an address-named listener and a
// TLS listener sharing one HCM prefix, a STATIC cluster with locality and weight, and a cluster with
// alt_stat_name, health checks and outlier detection; loaded through the real config loader.
import { loadConfig } from '../../../core/config/load.js';
import type { Snapshot } from '../../../core/config/types.js';

export interface Pem {
  readonly cert: string;
  readonly key: string;
}

function indent(s: string, n: number): string {
  return s
    .trim()
    .split('\n')
    .map((l) => ' '.repeat(n) + l.trim())
    .join('\n');
}

const hcm = `
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress_http
          stream_idle_timeout: 0.25s
          route_config:
            name: local_route
            virtual_hosts:
            - name: backend
              domains: ["*"]
              routes:
              - match: { prefix: "/service/1" }
                route: { cluster: service1 }
              - match: { prefix: "/service/2" }
                route: { cluster: service2 }
          http_filters:
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router`;

export function fixtureYaml(pem: Pem = { cert: 'CERT', key: 'KEY' }): string {
  return `
node: { id: front-node, cluster: front-cluster }
static_resources:
  listeners:
  - address: { socket_address: { address: 0.0.0.0, port_value: 8080 } }
    filter_chains:
    - filters:${hcm}
  - name: tls
    address: { socket_address: { address: 0.0.0.0, port_value: 8443 } }
    filter_chains:
    - filters:${hcm}
      transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
          common_tls_context:
            tls_certificates:
            - certificate_chain:
                inline_string: |
${indent(pem.cert, 18)}
              private_key:
                inline_string: |
${indent(pem.key, 18)}
  clusters:
  - name: service1
    connect_timeout: 0.25s
    type: STATIC
    load_assignment:
      cluster_name: service1
      endpoints:
      - locality: { region: r1, zone: z1, sub_zone: s1 }
        lb_endpoints:
        - endpoint: { address: { socket_address: { address: 10.0.0.1, port_value: 8000 } }, hostname: one.local }
          load_balancing_weight: 3
  - name: service2
    alt_stat_name: svc2
    connect_timeout: 1s
    type: STATIC
    circuit_breakers:
      thresholds:
      - { priority: HIGH, max_connections: 7, max_pending_requests: 8, max_requests: 9, max_retries: 10 }
    health_checks:
    - timeout: 1s
      interval: 5s
      unhealthy_threshold: 2
      healthy_threshold: 1
      http_health_check: { path: /healthz }
    outlier_detection: { consecutive_5xx: 5 }
    load_assignment:
      cluster_name: service2
      endpoints:
      - lb_endpoints:
        - endpoint: { address: { socket_address: { address: 10.0.0.2, port_value: 9000 } } }
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
layered_runtime:
  layers:
  - name: static_layer_0
    static_layer: { a: { b: 1 }, c: "x" }
  - name: admin
    admin_layer: {}
`;
}

export function fixtureSnapshot(pem?: Pem): Snapshot {
  const r = loadConfig([{ name: 'fixture.yaml', text: fixtureYaml(pem) }], { readFile: () => null, getEnv: () => undefined });
  if (!r.ok) throw new Error(`fixture config: ${r.errors.join('; ')}`);
  return r.snapshot;
}
