import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

// s3rver runs in its own process: it needs --openssl-legacy-provider, which we do not want in the test runner.
const S3RVER_SCRIPT = `
const S3rver = require('s3rver');
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.argv[1] });
server.run().then((addr) => { process.stdout.write(JSON.stringify({ port: addr.port }) + '\\n'); },
  (err) => { console.error(err); process.exit(1); });
process.on('SIGTERM', () => server.close().finally(() => process.exit(0)));
`;

/** A real S3 server on a free loopback port, storing into `dir`. */
export async function startS3rver(dir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', S3RVER_SCRIPT, dir], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: { ...process.env, NODE_OPTIONS: '--openssl-legacy-provider' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.on('exit', (code) => reject(new Error(`s3rver exited with ${code}: ${stderr}`)));
  });
  return { child, port };
}
