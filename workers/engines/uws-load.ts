// Loads uWebSockets.js and refuses to run on anything but its native binary: the package quietly falls
// back to a slow pure-JS server when the binary does not load, which a proxy must never do.
import { createRequire } from 'node:module';
import path from 'node:path';

type Uws = typeof import('uWebSockets.js');

let loaded: Uws | null = null;

export class UwsUnavailableError extends Error {
  readonly code = 'NUNCIO_UWS_UNAVAILABLE';
}

export function uws(): Uws {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const pkgDir = path.dirname(require.resolve('uWebSockets.js/package.json'));
  const binary = path.join(pkgDir, 'binaries', `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`);
  let native: Uws;
  try {
    native = require(binary) as Uws;
  } catch (e) {
    throw new UwsUnavailableError(
      `uWebSockets.js has no native build for this platform (${process.platform}-${process.arch}, Node ABI ${process.versions.modules}): ${(e as Error).message.split('\n')[0]}. ` +
        'nuncio refuses to run HTTP1 listeners on its pure-JS fallback.',
    );
  }
  const mod = require('uWebSockets.js') as Uws;
  if (mod !== native) {
    throw new UwsUnavailableError('uWebSockets.js loaded its pure-JS fallback instead of the native binary; nuncio refuses to start with it.');
  }
  loaded = native;
  return native;
}
