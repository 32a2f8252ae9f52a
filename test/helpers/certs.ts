// Test certificates made with the openssl CLI: a CA, server and client certificates signed by it
// (with SANs), and certificates outside their validity window (via `openssl ca` dates).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Pair {
  key: string;
  cert: string;
  keyPath: string;
  certPath: string;
}

function ossl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export class CertFactory {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nuncio-certs-'));
  readonly ca: Pair;
  private n = 0;

  constructor() {
    ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-subj', '/CN=nuncio test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], this.dir);
    fs.mkdirSync(path.join(this.dir, 'db'));
    fs.writeFileSync(path.join(this.dir, 'db/index.txt'), '');
    fs.writeFileSync(path.join(this.dir, 'db/serial'), '1000\n');
    fs.writeFileSync(
      path.join(this.dir, 'ca.cnf'),
      `[ca]\ndefault_ca=d\n[d]\ndir=${this.dir}\ndatabase=$dir/db/index.txt\nserial=$dir/db/serial\nnew_certs_dir=$dir/db\ncertificate=$dir/ca.crt\nprivate_key=$dir/ca.key\ndefault_md=sha256\npolicy=p\ncopy_extensions=copy\nunique_subject=no\n[p]\ncommonName=supplied\n`,
    );
    this.ca = this.read('ca');
  }

  private read(base: string): Pair {
    const keyPath = path.join(this.dir, `${base}.key`);
    const certPath = path.join(this.dir, `${base}.crt`);
    return { key: fs.readFileSync(keyPath, 'utf8'), cert: fs.readFileSync(certPath, 'utf8'), keyPath, certPath };
  }

  /** A certificate signed by the CA. Dates as YYYYMMDDHHMMSSZ for out-of-window certificates. */
  issue(cn: string, opts: { sans?: string[]; client?: boolean; start?: string; end?: string } = {}): Pair {
    const base = `c${this.n++}`;
    const sans = opts.sans ?? [cn];
    const ext = opts.client ? 'extendedKeyUsage=clientAuth' : 'extendedKeyUsage=serverAuth';
    ossl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${cn}`, '-addext', `subjectAltName=${sans.map((s) => (/^[\d.]+$/.test(s) ? `IP:${s}` : `DNS:${s}`)).join(',')}`, '-addext', ext], this.dir);
    const dates = opts.start || opts.end ? ['-startdate', opts.start ?? '20200101000000Z', '-enddate', opts.end ?? '20990101000000Z'] : ['-days', '30'];
    ossl(['ca', '-batch', '-config', 'ca.cnf', '-in', `${base}.csr`, '-out', `${base}.crt`, '-notext', ...dates], this.dir);
    return this.read(base);
  }

  /** A self-signed certificate (no CA). */
  selfSigned(cn: string): Pair {
    const base = `s${this.n++}`;
    ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.crt`, '-days', '30', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn}`], this.dir);
    return this.read(base);
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
