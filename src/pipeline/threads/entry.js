// A worker thread's entry: plain JavaScript, because a new thread may not have the TypeScript loader its
// parent runs with (Node 20 does not pass module hooks on to workers; newer versions do).
try {
  await import('./thread.ts');
} catch (error) {
  if (error?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
  const { register } = await import('tsx/esm/api');
  register();
  // Node remembers the failed import of that URL: a query makes it a new one.
  await import('./thread.ts?loader=tsx');
}
