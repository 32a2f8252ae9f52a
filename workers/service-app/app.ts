// The seed's Flask app (service.py) ported to node:http: `GET /service/<n>` says hello with the
// service name, hostname and address; everything else answers as Flask/Werkzeug would (404, 405,
// OPTIONS). Responses are constant per instance, so they are encoded once at start-up.

import http from 'node:http';
import os from 'node:os';

export interface ServiceAppOptions {
  /** SERVICE_NAME of the original: the N in "(service N)". */
  readonly serviceName: string;
  /** Listen address; default 127.0.0.1. */
  readonly address?: string;
  /** Listen port; default 8080, 0 = ephemeral. */
  readonly port?: number;
  /** Reported as `hostname:`; default os.hostname(). */
  readonly hostname?: string;
  /**
   * Reported as `resolvedhostname:` (in Docker, the container's IP). Default: the listen address,
   * or 127.0.0.1 when listening on a wildcard.
   */
  readonly resolvedIp?: string;
}

export interface ServiceApp {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Werkzeug's dev server names itself so; the sidecar overwrites it anyway. */
export const SERVER_HEADER = 'Werkzeug/3.1.8 Python/3.11.7';
const CONTENT_TYPE = 'text/html; charset=utf-8';
const ALLOW = 'OPTIONS, GET, HEAD';

// Werkzeug's (2.x/3.x) error pages, byte for byte.
const NOT_FOUND_BODY = Buffer.from('<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n'
  + '<h1>Not Found</h1>\n<p>The requested URL was not found on the server. If you entered the URL manually '
  + 'please check your spelling and try again.</p>\n', 'utf8');
const METHOD_NOT_ALLOWED_BODY = Buffer.from('<!doctype html>\n<html lang=en>\n<title>405 Method Not Allowed</title>\n'
  + '<h1>Method Not Allowed</h1>\n<p>The method is not allowed for the requested URL.</p>\n', 'utf8');

const NOT_FOUND_HEADERS = {
  server: SERVER_HEADER, 'content-type': CONTENT_TYPE, 'content-length': String(NOT_FOUND_BODY.length),
};
const METHOD_NOT_ALLOWED_HEADERS = {
  server: SERVER_HEADER, 'content-type': CONTENT_TYPE, allow: ALLOW,
  'content-length': String(METHOD_NOT_ALLOWED_BODY.length),
};
const OPTIONS_HEADERS = { server: SERVER_HEADER, 'content-type': CONTENT_TYPE, allow: ALLOW, 'content-length': '0' };

/** The hello body exactly as service.py builds it (note "resolved" + "hostname" with no space). */
export function helloBody(serviceName: string, hostname: string, resolvedIp: string): string {
  return `Hello from behind Envoy (service ${serviceName})! hostname: ${hostname} resolvedhostname: ${resolvedIp}\n`;
}

/**
 * Whether a request target matches Flask's `/service/<service_number>`: one non-empty segment after
 * `/service/`, judged on the percent-decoded path as Werkzeug does (so `%2F` is a slash), query and
 * fragment ignored, leading `//` collapsed as Python's http.server does, absolute-form accepted.
 */
export function matchesServiceRoute(target: string): boolean {
  let start = 0;
  if (target.charCodeAt(0) !== 0x2f /* / */) {
    const scheme = target.indexOf('://');
    if (scheme <= 0) return false;
    start = target.indexOf('/', scheme + 3);
    if (start < 0) return false;
  }
  while (target.charCodeAt(start + 1) === 0x2f) start++;
  let end = target.length;
  const q = target.indexOf('?', start);
  if (q >= 0) end = q;
  const h = target.indexOf('#', start);
  if (h >= 0 && h < end) end = h;
  if (!target.startsWith('/service/', start)) return false;
  const segStart = start + 9;
  if (segStart >= end) return false;
  for (let i = segStart; i < end; i++) {
    const c = target.charCodeAt(i);
    if (c === 0x2f) return false;
    if (c === 0x25 /* % */ && i + 2 < end && target.charCodeAt(i + 1) === 0x32 /* 2 */
      && (target.charCodeAt(i + 2) | 0x20) === 0x66 /* f */) return false;
  }
  return true;
}

/** Holds one instance's pre-encoded hello response; `onRequest` is bound once. */
class ServiceHandler {
  private readonly body: Buffer;
  private readonly headers: Readonly<Record<string, string>>;

  constructor(body: string) {
    this.body = Buffer.from(body, 'utf8');
    this.headers = { server: SERVER_HEADER, 'content-type': CONTENT_TYPE, 'content-length': String(this.body.length) };
    this.onRequest = this.onRequest.bind(this);
  }

  // Reason phrases are Werkzeug's upper-case ones. Node drops the body of HEAD answers by itself;
  // an unread request body is drained by node once the response ends, keeping the connection usable.
  onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (!matchesServiceRoute(req.url ?? '')) {
      res.writeHead(404, 'NOT FOUND', NOT_FOUND_HEADERS);
      res.end(NOT_FOUND_BODY);
      return;
    }
    const method = req.method;
    if (method === 'GET' || method === 'HEAD') {
      res.writeHead(200, 'OK', this.headers);
      res.end(this.body);
    } else if (method === 'OPTIONS') {
      res.writeHead(200, 'OK', OPTIONS_HEADERS);
      res.end();
    } else {
      res.writeHead(405, 'METHOD NOT ALLOWED', METHOD_NOT_ALLOWED_HEADERS);
      res.end(METHOD_NOT_ALLOWED_BODY);
    }
  }
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '';
}

/** Starts one service instance; resolves once it listens. */
export function startServiceApp(opts: ServiceAppOptions): Promise<ServiceApp> {
  if (typeof opts.serviceName !== 'string' || opts.serviceName === '') {
    return Promise.reject(new TypeError('startServiceApp: serviceName is required'));
  }
  const address = opts.address ?? '127.0.0.1';
  const port = opts.port ?? 8080;
  const hostname = opts.hostname ?? os.hostname();
  const resolvedIp = opts.resolvedIp ?? (isWildcard(address) ? '127.0.0.1' : address);
  const handler = new ServiceHandler(helloBody(opts.serviceName, hostname, resolvedIp));
  // HTTP keep-alive is node's default. Malformed requests are left to node's default clientError
  // handling (400/431/408, then close), which never reaches the handler.
  const server = http.createServer(handler.onRequest);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      const bound = server.address();
      const boundPort = typeof bound === 'object' && bound !== null ? bound.port : port;
      resolve({ address, port: boundPort, close: () => closeServer(server) });
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    // close() waits for open connections; idle keep-alive ones are closed now, busy ones after their response.
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
