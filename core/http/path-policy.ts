// The connection manager's reaction to path normalisation (Envoy's decodeHeaders right after the
// relative-path check): rewrite :path and go on, answer 400, or redirect to the normalised path.
import type { Exchange } from './exchange.js';
import { HCM } from '../stats/defs.js';
import { hGet } from './headers.js';
import { PATH_CONTINUE, PATH_REDIRECT, normalizeRequestPath } from './path.js';

/** Normalises `ex.path` per the HCM options; false if a local reply was sent instead. */
export function applyPathPolicy(ex: Exchange): boolean {
  const action = normalizeRequestPath(ex, ex.hcm.cfg);
  if (action === PATH_CONTINUE) return true;
  const st = ex.hcm.stats;
  // gRPC clients do not follow redirects, so Envoy rejects instead.
  if (action === PATH_REDIRECT && !(hGet(ex.headers, 'content-type') ?? '').startsWith('application/grpc')) {
    st[HCM.downstream_rq_redirected_with_normalized_path]++;
    ex.localReply(307, '', 0, 'path_normalization_failed', false, ex.path);
  } else {
    st[HCM.downstream_rq_failed_path_normalization]++;
    ex.localReply(400, '', 0, 'path_normalization_failed');
  }
  return false;
}
