import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { findTool } from './tools.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A throwaway Redis on loopback, without persistence (suites that use it are declared with `describeWith('redis-server')`). */
export async function startRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const redisServer = findTool('redis-server');
  if (!redisServer) throw new Error('redis-server not found (REDIS_SERVER, or PATH)');
  // The free port is closed before redis-server binds it, so a suite running beside may take it in between:
  // then another port.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await startOn(redisServer, port);
    } catch (error) {
      if (attempt >= 5 || !/Address already in use/.test((error as Error).message)) throw error;
    }
  }
}

async function startOn(redisServer: string, port: number): Promise<{ url: string; stop: () => Promise<void> }> {
  const child: ChildProcess = spawn(redisServer, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    // Generous: a loaded machine starts it slowly; only one that never comes up reaches the limit.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server did not start within 60 s:\n${output}`));
    }, 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
