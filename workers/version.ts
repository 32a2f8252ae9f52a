// nuncio's version (from package.json) and the build string printed by --version and /server_info.
import { createRequire } from 'node:module';

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
export const VERSION: string = pkg.version;
const bun = (globalThis as { Bun?: { version: string } }).Bun;
export const BUILD = `${VERSION}/Clean/RELEASE/${bun ? `Bun-${bun.version}` : `Node-${process.versions.node}`}`;
