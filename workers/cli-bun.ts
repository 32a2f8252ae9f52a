#!/usr/bin/env node
// `nuncio-bun`: nuncio on Bun with the same command line. Under Bun it is the CLI itself; started by
// Node.js (the npm bin shim), it runs the CLI under the Bun binary it finds (see runtime/launch.ts).
if (!process.argv.slice(2).some((a) => a === '--runtime' || a.startsWith('--runtime='))) process.argv.push('--runtime', 'bun');
await import('./cli.js');
