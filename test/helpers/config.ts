// YAML fragments the integration tests build their bootstraps from.

/**
 * A listener on 127.0.0.1 with an HTTP connection manager, up to and including the HCM's "@type" line:
 * the caller continues with HCM fields indented by 10 spaces (stat_prefix, route_config, ...).
 */
export function hcmListener(name: string, port: number): string {
  return `  - name: ${name}
    address: { socket_address: { address: 127.0.0.1, port_value: ${port} } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`;
}
