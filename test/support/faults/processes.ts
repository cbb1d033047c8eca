import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Child processes of the fault suite (PostgreSQL, Redis, the api and workers), and the temporary
 * directory each suite's instances live in. Every child is known by its PID only: nothing here ever
 * looks processes up by name, so the shared instances on 5432 and 6379 are out of reach.
 */

const WORK_DIR_PREFIX = 'hgtrace-faults-';
const OUTPUT_LIMIT = 256 * 1024;

/** Children alive in this process, and its work directories: killed and removed if it exits without closing them. */
const live = new Set<Child>();
const workDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = () => {
    for (const child of live) child.process.kill('SIGKILL');
    for (const dir of workDirs) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  process.once('exit', killAll);
  // Interrupted (Ctrl-C): the children go too, then the signal does what it would have done.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One spawned process, with its output (the last 256 KB) kept for failure messages and log assertions. */
export class Child {
  readonly exited: Promise<Exit>;
  private output = '';

  constructor(
    readonly name: string,
    readonly process: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => {
      this.output += chunk.toString();
      if (this.output.length > OUTPUT_LIMIT) this.output = this.output.slice(-OUTPUT_LIMIT / 2);
    };
    process.stdout?.on('data', keep);
    process.stderr?.on('data', keep);
    live.add(this);
    this.exited = new Promise((resolve) => {
      process.once('exit', (code, signal) => {
        live.delete(this);
        resolve({ code, signal });
      });
      process.once('error', (error) => {
        keep(Buffer.from(`spawn failed: ${error.message}\n`));
        live.delete(this);
        resolve({ code: null, signal: null });
      });
    });
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null && live.has(this);
  }

  /** What the process wrote to stdout and stderr (the tail, if it wrote a lot). */
  log(): string {
    return this.output;
  }

  /** Sends `signal` and waits for the exit; SIGKILL if it has not exited after `timeoutMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<Exit> {
    if (!this.running) return this.exited;
    this.process.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const outcome = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (outcome !== 'timeout') return outcome;
    this.process.kill('SIGKILL');
    return this.exited;
  }
}

export interface SpawnOptions {
  env: NodeJS.ProcessEnv;
  /** The directory the child belongs to: its PID is recorded there for the clean-up of a crashed run. */
  workDir: string;
  uid?: number;
  gid?: number;
  cwd?: string;
}

export function spawnChild(name: string, command: string, args: string[], options: SpawnOptions): Child {
  installExitHook();
  const process = spawn(command, args, { env: options.env, cwd: options.cwd, uid: options.uid, gid: options.gid, stdio: ['ignore', 'pipe', 'pipe'] });
  if (process.pid) appendFileSync(join(options.workDir, 'pids'), `${process.pid}\n`);
  return new Child(name, process);
}

/** A temporary directory for one suite's instances, readable by the postgres user. */
export function makeWorkDir(): string {
  const dir = mkdtempSync(join(tmpdir(), WORK_DIR_PREFIX));
  execFileSync('chmod', ['755', dir]);
  writeFileSync(join(dir, 'owner'), String(process.pid));
  workDirs.add(dir);
  installExitHook();
  return dir;
}

export function removeWorkDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  workDirs.delete(dir);
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Whether the process runs (a zombie, dead but not yet reaped, does not). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/**
 * Removes what an earlier run that crashed left behind: for each work directory whose owning test
 * process is gone, kills the recorded PIDs that still run with that directory on their command line
 * (so a recycled PID is never hit), then removes the directory. Directories of a run in progress
 * (another checkout, another jest worker) are left alone.
 */
export function cleanUpAbandonedWorkDirs(): string[] {
  const removed: string[] = [];
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(WORK_DIR_PREFIX)) continue;
    const dir = join(tmpdir(), entry);
    const ownerFile = join(dir, 'owner');
    const owner = existsSync(ownerFile) ? Number(readFileSync(ownerFile, 'utf8')) : NaN;
    if (Number.isInteger(owner) && alive(owner)) continue;
    const pidsFile = join(dir, 'pids');
    const pids = existsSync(pidsFile) ? readFileSync(pidsFile, 'utf8').split('\n').filter(Boolean).map(Number) : [];
    for (const pid of pids) {
      if (alive(pid) && commandLine(pid).includes(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone in between.
        }
      }
    }
    removeWorkDir(dir);
    removed.push(dir);
  }
  return removed;
}
