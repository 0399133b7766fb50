import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ChildGateway {
  proc: ChildProcess;
  url: string;
  /** Writes one command line to the child's stdin (see test/notify/child-gateway.ts). */
  send(line: string): void;
}

/** Starts test/notify/child-gateway.ts as its own process on `env` and waits for the URL it prints. */
export function startChildGateway(env: Record<string, string>): Promise<ChildGateway> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/notify/child-gateway.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  // Lines still streaming in when the child is killed hit a closed pipe: expected.
  proc.stdin!.on('error', () => {});
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('child gateway did not start')), 30_000);
    proc.once('exit', (code) => reject(new Error(`child gateway exited with ${code}`)));
    createInterface({ input: proc.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      const { url } = JSON.parse(line) as { url: string };
      resolve({ proc, url, send: (l) => proc.stdin!.write(`${l}\n`) });
    });
  });
}

/** `kill -9`, resolved once the process is gone. */
export function killHard(child: ChildGateway): Promise<void> {
  return new Promise((resolve) => {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) return resolve();
    child.proc.once('exit', () => resolve());
    child.proc.kill('SIGKILL');
  });
}
