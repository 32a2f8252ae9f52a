// The seed's Docker topology on one machine: each service instance is a service app plus a sidecar
// nuncio (service-envoy.yaml) on its own loopback address; the front nuncio (front-envoy.yaml) finds
// them through a DNS server of ours that answers `service1`/`service2` as Docker's DNS did. Instances
// can be added and removed while everything runs (`docker-compose scale`).
import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { DnsServer } from './dns-server.js';

export type ServiceName = 'service1' | 'service2';

export interface TopologyOptions {
  /** Repository root (for dist/ and config/). */
  readonly root: string;
  /** Where generated configs and logs go. */
  readonly runDir: string;
  readonly frontHttp: number;
  readonly frontHttps: number;
  readonly frontAdmin: number;
  readonly dnsPort: number;
  readonly sidecarPort: number;
  readonly sidecarAdmin: number;
  readonly appPort: number;
  readonly frontConcurrency?: number;
  readonly sidecarConcurrency?: number;
  readonly service1: number;
  readonly service2: number;
  /** DNS refresh override for the front clusters (ms); default: the config's (Envoy's 5 s). */
  readonly dnsRefreshMs?: number;
  readonly log?: (line: string) => void;
  /** Extra CLI args for the front proxy (e.g. a runtime). */
  readonly frontArgs?: readonly string[];
  /** Command to run the front proxy's entry with (default: this node binary). */
  readonly frontCommand?: readonly string[];
}

interface Instance {
  readonly service: ServiceName;
  readonly index: number;
  readonly name: string;
  readonly ip: string;
  app: ChildProcess | null;
  sidecar: ChildProcess | null;
}

const BASE: Record<ServiceName, number> = { service1: 10, service2: 20 };

function waitForLine(p: ChildProcess, re: RegExp, ms: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`${what}: not ready within ${ms} ms\n${buf}`)), ms);
    const on = (d: Buffer) => {
      buf += d.toString();
      if (re.test(buf)) {
        clearTimeout(t);
        resolve();
      }
    };
    p.stdout?.on('data', on);
    p.stderr?.on('data', on);
    p.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`${what} exited with ${code}\n${buf}`));
    });
  });
}

export function httpGet(host: string, port: number, path: string, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function waitReady(host: string, port: number, ms: number, what: string, proc: ChildProcess, out: () => string): Promise<void> {
  const end = Date.now() + ms;
  let exited: number | null | undefined;
  proc.once('exit', (c) => (exited = c));
  while (Date.now() < end) {
    if (exited !== undefined) throw new Error(`${what} exited with ${exited}\n${out()}`);
    try {
      const r = await httpGet(host, port, '/ready', 1000);
      if (r.status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} not ready within ${ms} ms\n${out()}`);
}

export class Topology {
  readonly dns: DnsServer;
  private readonly instances: Record<ServiceName, Instance[]> = { service1: [], service2: [] };
  private front: ChildProcess | null = null;
  private frontOut = '';
  private readonly procs = new Set<ChildProcess>();

  constructor(readonly o: TopologyOptions) {
    this.dns = new DnsServer({ address: '127.0.0.1', port: o.dnsPort });
  }

  private log(s: string): void {
    this.o.log?.(s);
  }

  get frontOutput(): string {
    return this.frontOut;
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.o.runDir, { recursive: true });
    await this.dns.start();
    this.publish('service1');
    this.publish('service2');
    await Promise.all([this.scale('service1', this.o.service1), this.scale('service2', this.o.service2)]);
    await this.startFront();
  }

  instanceIps(service: ServiceName): string[] {
    return this.instances[service].map((i) => i.ip);
  }

  /** Adds or removes instances of a service; DNS follows once the new ones are ready. */
  async scale(service: ServiceName, n: number): Promise<void> {
    if (!Number.isInteger(n) || n < 0 || n > 9) throw new Error(`scale ${service}: instance count must be 0..9, got ${n}`);
    const list = this.instances[service];
    const starting: Promise<void>[] = [];
    while (list.length < n) {
      const index = list.length + 1;
      const inst: Instance = { service, index, name: `${service}-${index}`, ip: `127.0.0.${BASE[service] + index}`, app: null, sidecar: null };
      list.push(inst);
      starting.push(this.startInstance(inst));
    }
    await Promise.all(starting);
    const removed = list.splice(n);
    this.publish(service);
    await Promise.all(removed.map((i) => this.stopInstance(i)));
    this.log(`${service}: ${list.length} instance(s): ${list.map((i) => i.ip).join(', ') || '-'}`);
  }

  private publish(service: ServiceName): void {
    this.dns.setRecords(service, this.instances[service].filter((i) => i.sidecar !== null).map((i) => i.ip));
  }

  private spawnNode(args: string[], name: string): ChildProcess {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.procs.add(p);
    p.once('exit', () => this.procs.delete(p));
    const logFile = fs.createWriteStream(path.join(this.o.runDir, `${name}.log`), { flags: 'a' });
    p.stdout!.pipe(logFile);
    p.stderr!.pipe(logFile);
    return p;
  }

  private async startInstance(inst: Instance): Promise<void> {
    const dir = path.join(this.o.runDir, inst.name);
    fs.mkdirSync(dir, { recursive: true });
    const num = inst.service === 'service1' ? '1' : '2';
    const app = this.spawnNode(
      [path.join(this.o.root, 'dist/workers/service-app/main.js'), '--name', num, '--address', inst.ip, '--port', String(this.o.appPort), '--hostname', inst.name],
      `${inst.name}-app`,
    );
    inst.app = app;
    await waitForLine(app, /listening/, 15_000, `${inst.name} app`);
    const cfgPath = path.join(dir, 'service-envoy.yaml');
    fs.writeFileSync(cfgPath, sidecarConfig(fs.readFileSync(path.join(this.o.root, 'config/service-envoy.yaml'), 'utf8'), inst.ip, this.o, dir));
    let out = '';
    const sidecar = this.spawnNode(
      [path.join(this.o.root, 'dist/workers/cli.js'), '-c', cfgPath, '--service-cluster', inst.service, '--concurrency', String(this.o.sidecarConcurrency ?? 1)],
      `${inst.name}-sidecar`,
    );
    sidecar.stderr!.on('data', (d) => (out += d));
    await waitReady(inst.ip, this.o.sidecarAdmin, 20_000, `${inst.name} sidecar`, sidecar, () => out);
    inst.sidecar = sidecar;
  }

  private async stopInstance(inst: Instance): Promise<void> {
    await Promise.all([stopProc(inst.sidecar), stopProc(inst.app)]);
    inst.sidecar = null;
    inst.app = null;
  }

  private async startFront(): Promise<void> {
    const cfgPath = path.join(this.o.runDir, 'front-envoy.yaml');
    fs.writeFileSync(cfgPath, frontConfig(fs.readFileSync(path.join(this.o.root, 'config/front-envoy.yaml'), 'utf8'), this.o));
    const cmd = this.o.frontCommand ?? [process.execPath, path.join(this.o.root, 'dist/workers/cli.js')];
    const args = [...cmd.slice(1), '-c', cfgPath, '--service-cluster', 'front-proxy', ...(this.o.frontConcurrency ? ['--concurrency', String(this.o.frontConcurrency)] : []), ...(this.o.frontArgs ?? [])];
    const p = spawn(cmd[0], args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.procs.add(p);
    p.once('exit', () => this.procs.delete(p));
    const logFile = fs.createWriteStream(path.join(this.o.runDir, 'front.log'), { flags: 'a' });
    p.stdout!.on('data', (d) => (this.frontOut += d));
    p.stderr!.on('data', (d) => (this.frontOut += d));
    p.stdout!.pipe(logFile);
    p.stderr!.pipe(logFile);
    this.front = p;
    await waitReady('127.0.0.1', this.o.frontAdmin, 30_000, 'front proxy', p, () => this.frontOut);
  }

  async stop(): Promise<void> {
    await stopProc(this.front);
    this.front = null;
    await Promise.all([...this.instances.service1, ...this.instances.service2].map((i) => this.stopInstance(i)));
    for (const p of this.procs) p.kill('SIGKILL');
    await this.dns.stop();
  }
}

function stopProc(p: ChildProcess | null): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    p.kill('SIGTERM');
  });
}

/** service-envoy.yaml for one instance: its own address instead of 0.0.0.0 / 127.0.0.1, its own log. */
export function sidecarConfig(text: string, ip: string, o: Pick<TopologyOptions, 'sidecarPort' | 'sidecarAdmin' | 'appPort'>, dir: string): string {
  return text
    .replace(/address: (?:0\.0\.0\.0|127\.0\.0\.1)\b/g, `address: ${ip}`)
    .replace(/port_value: 8000\b/g, `port_value: ${o.sidecarPort}`)
    .replace(/port_value: 8001\b/g, `port_value: ${o.sidecarAdmin}`)
    .replace(/port_value: 8080\b/g, `port_value: ${o.appPort}`)
    .replace(/"\/tmp\/access\.log"/g, JSON.stringify(path.join(dir, 'access.log')));
}

/** front-envoy.yaml with the ports this run uses. */
export function frontConfig(text: string, o: TopologyOptions): string {
  let t = text
    .replace(/port_value: 8080\b/g, `port_value: ${o.frontHttp}`)
    .replace(/port_value: 8443\b/g, `port_value: ${o.frontHttps}`)
    .replace(/port_value: 8001\b/g, `port_value: ${o.frontAdmin}`)
    .replace(/port_value: 8053\b/g, `port_value: ${o.dnsPort}`)
    .replace(/port_value: 8000\b/g, `port_value: ${o.sidecarPort}`);
  if (o.dnsRefreshMs) t = t.replace(/(    type: strict_dns\n)/g, `$1    dns_refresh_rate: ${o.dnsRefreshMs / 1000}s\n`);
  return t;
}
