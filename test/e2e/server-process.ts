import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { databaseName, onMaintenanceDatabase } from '../pg-admin.js';

/** A real server process, started as `npm start` runs it (`node dist/server.mjs`, bundled by the global setup), on a random port. */
export interface ServerProcess {
  url: string;
  output: () => string;
  child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['dist/server.mjs'], {
    cwd: process.cwd(),
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
    const check = () => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    child,
    output: () => output,
    stop: (signal = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}

/** Keys the server printed when it created the "Default" instance on first start. */
export function printedKeys(output: string): { primary: string; secondary: string } {
  const primary = /primary key:\s+(\S+)/.exec(output)?.[1];
  const secondary = /secondary key:\s+(\S+)/.exec(output)?.[1];
  if (!primary || !secondary) throw new Error(`no keys printed:\n${output}`);
  return { primary, secondary };
}

export function tempSqliteUrl(): string {
  return `sqlite:${join(mkdtempSync(join(tmpdir(), 'ticketing-e2e-')), 'e2e.db')}`;
}

/** A fresh, empty PostgreSQL database next to the shared test database. */
export async function freshPostgresDatabase(baseUrl: string, prefix: string): Promise<string> {
  const url = new URL(baseUrl);
  url.pathname = `/${prefix}_${process.pid}_${Date.now()}`;
  await onMaintenanceDatabase(baseUrl, `CREATE DATABASE "${databaseName(url.toString())}"`);
  return url.toString();
}

export const dropPostgresDatabase = (url: string): Promise<void> => onMaintenanceDatabase(url, `DROP DATABASE IF EXISTS "${databaseName(url)}" WITH (FORCE)`);

export async function json(response: Response): Promise<any> {
  const text = await response.text();
  return text ? JSON.parse(text) : undefined;
}
