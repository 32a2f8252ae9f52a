// Stand-in upstream when nginx is not installed: answers every request with a fixed body over
// HTTP/1.1 (node:http) and HTTP/2 cleartext (node:http2). Usage: upstream-main.js h1Port h2Port body server
import http from 'node:http';
import http2 from 'node:http2';

const [h1Port, h2Port, bodyText, server] = process.argv.slice(2);
const body = Buffer.from(bodyText, 'utf8');
const headers = { server, 'content-type': 'text/html; charset=utf-8', 'content-length': String(body.length) };

const h1 = http.createServer((_req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});
h1.keepAliveTimeout = 300_000;
h1.maxRequestsPerSocket = 0;
const h2 = http2.createServer((_req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});
let up = 0;
const ready = () => {
  if (++up === 2) console.log('listening');
};
h1.listen(Number(h1Port), '127.0.0.1', ready);
h2.listen(Number(h2Port), '127.0.0.1', ready);
process.on('SIGTERM', () => process.exit(0));
