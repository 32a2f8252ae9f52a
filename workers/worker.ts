// Worker thread entry (run through piscina as one long task per worker): receives config pushes and
// membership updates from the admin thread over its MessagePort, and returns only after every socket
// it opened is closed — uWebSockets.js aborts the process if a thread exits with sockets open.
import type { FromWorker, ToWorker, WorkerTask } from './protocol.js';
import { WorkerRuntime } from './worker-runtime.js';

export default async function run(task: WorkerTask): Promise<string> {
  const port = task.port;
  const send = (m: FromWorker): void => port.postMessage(m);
  const log = (level: string, text: string): void => send({ type: 'log', worker: task.worker, level, text });
  const rt = new WorkerRuntime(task.worker, task.rows, task.hostname, log, send);
  let stopped: () => void = () => {};
  const done = new Promise<void>((r) => (stopped = r));
  // Serialise config applications: a reload waits for the previous one.
  let chain: Promise<void> = Promise.resolve();

  port.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'config':
        chain = chain.then(async () => {
          let errors: string[];
          try {
            errors = await rt.apply(m.push);
          } catch (e) {
            errors = [(e as Error).stack ?? String(e)];
          }
          send({ type: 'applied', worker: task.worker, version: m.push.version, errors });
        });
        break;
      case 'membership':
        rt.updateMembership(m.cluster, m.hosts, m.pages);
        break;
      case 'health':
        rt.setHealthFailed(m.failed);
        break;
      case 'drain':
        if (m.graceful) rt.discourage();
        else rt.drainListeners();
        break;
      case 'crash':
        if (process.env.NUNCIO_TEST_HOOKS === '1') process.exit(70);
        break;
      case 'stop':
        chain = chain.then(async () => {
          await rt.stop(m.deadlineMs);
          send({ type: 'stopped', worker: task.worker });
          stopped();
        });
        break;
    }
  });
  process.on('uncaughtException', (e) => log('critical', `uncaught exception in worker ${task.worker}: ${e.stack ?? e}`));
  await done;
  port.close();
  return `worker ${task.worker} stopped`;
}
