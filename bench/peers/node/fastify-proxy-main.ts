// @fastify/http-proxy as its README shows it: a fastify app with the plugin registered for every path
// and `upstream` set; reply-from then uses an undici Pool with its defaults (keep-alive, HTTP/1.1).
// Usage: fastify-proxy-main.js <port> <upstream origin>
import Fastify from 'fastify';
import proxy from '@fastify/http-proxy';

const [port, upstream] = process.argv.slice(2);
const app = Fastify({ logger: false, keepAliveTimeout: 300_000 });
await app.register(proxy, { upstream });
await app.listen({ port: Number(port), host: '127.0.0.1' });
console.log('listening');
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
