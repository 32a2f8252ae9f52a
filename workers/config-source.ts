// Reads the bootstrap from disk and the command line (-c, --config-yaml) and hands it to the pure
// loader with the file and environment access it needs.
import fs from 'node:fs';
import { loadConfig, type ConfigSource, type LoadResult } from '../core/config/load.js';
import type { CommandLineOptions } from './admin/context.js';

export function readConfig(o: CommandLineOptions): LoadResult {
  const sources: ConfigSource[] = [];
  if (o.configPath) {
    let text: string;
    try {
      text = fs.readFileSync(o.configPath, 'utf8');
    } catch (e) {
      return { ok: false, errors: [`cannot read configuration file '${o.configPath}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`] };
    }
    sources.push({ name: o.configPath, text });
  }
  if (o.configYaml) sources.push({ name: '--config-yaml', text: o.configYaml });
  return loadConfig(
    sources,
    {
      readFile: (p) => {
        try {
          return fs.readFileSync(p, 'utf8');
        } catch {
          return null;
        }
      },
      getEnv: (n) => process.env[n],
      serviceCluster: o.serviceCluster || undefined,
      serviceNode: o.serviceNode || undefined,
      serviceZone: o.serviceZone || undefined,
    },
    { allowUnknownFields: o.allowUnknownStaticFields },
  );
}
