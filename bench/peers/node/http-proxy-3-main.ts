// http-proxy-3 as a reverse proxy the way its README (and node-http-proxy's) recommends for
// performance: node:http server, `proxy.web(req, res)`, an http.Agent with keepAlive so upstream
// connections are reused. Usage: http-proxy-3-main.js <port> <upstream origin>
import http from 'node:http';
import { createProxyServer } from 'http-proxy-3';

const [port, target] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const proxy = createProxyServer({ target, agent });
proxy.on('error', (_err, _req, res) => {
  // A failed upstream exchange must show up as a failed request, not a hang.
  if (res instanceof http.ServerResponse && !res.headersSent) {
    res.writeHead(502);
    res.end();
  } else {
    res.destroy();
  }
});
const server = http.createServer((req, res) => proxy.web(req, res));
server.keepAliveTimeout = 300_000;
server.listen(Number(port), '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
