// Child half of FdDuplicator: every socket handle it receives over IPC it sends straight back. Passing a
// descriptor through the kernel (SCM_RIGHTS) is how a Node process gets a duplicate of its own fd.
process.on('message', (m: unknown, handle: unknown) => {
  if (!handle || typeof process.send !== 'function') return;
  process.send(m, handle as never, (err: Error | null) => {
    if (err) process.stderr.write(`fd-dup: ${err.message}\n`);
    (handle as { close(): void }).close();
  });
});
process.on('disconnect', () => process.exit(0));
