// The api and worker processes the bench starts, and what it reads of them.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const children = new Set();

/** Starts `node <script>` with `env`; stderr is kept (the last lines are shown if it dies). */
export function start(name, script, env, extraArgs = []) {
  const child = spawn(process.execPath, [...extraArgs, script], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const tail = [];
  child.stderr.on('data', (chunk) => {
    tail.push(String(chunk));
    if (tail.length > 40) tail.shift();
  });
  const handle = {
    name,
    child,
    pid: child.pid,
    exited: false,
    tail: () => tail.join(''),
    exit: new Promise((resolve) => child.once('exit', (code, signal) => {
      handle.exited = true;
      children.delete(handle);
      resolve({ code, signal });
    })),
  };
  children.add(handle);
  return handle;
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stop(handle, graceMs = 10_000) {
  if (!handle || handle.exited) return;
  handle.child.kill('SIGTERM');
  const timer = setTimeout(() => handle.child.kill('SIGKILL'), graceMs);
  await handle.exit;
  clearTimeout(timer);
}

export async function kill(handle) {
  if (!handle || handle.exited) return;
  handle.child.kill('SIGKILL');
  await handle.exit;
}

/** Every process the bench started, stopped; used on the way out, also on failure. */
export async function stopAll(graceMs = 5_000) {
  await Promise.all([...children].map((h) => stop(h, graceMs)));
}

/** A free TCP port on the loopback interface. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resident set size of a process, in bytes, from /proc/<pid>/status. */
export function rssBytes(pid) {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Samples the RSS of `pid` every `everyMs` until stopped; `stop()` returns { maxBytes, samples }. */
export function sampleRss(pid, everyMs = 250) {
  let max = 0;
  let samples = 0;
  const take = () => {
    const rss = rssBytes(pid);
    if (rss !== null) {
      samples += 1;
      if (rss > max) max = rss;
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { maxBytes: max, samples };
    },
  };
}

export async function until(what, check, { timeoutMs = 60_000, everyMs = 200, process: watched } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (watched?.exited) throw new Error(`${watched.name} exited while waiting for ${what}:\n${watched.tail()}`);
    const value = await check().catch((error) => {
      if (error?.fatal) throw error;
      return undefined;
    });
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${watched ? `\n${watched.tail()}` : ''}`);
    await sleep(everyMs);
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU time (user and system) a process has used, in seconds, from /proc/<pid>/stat; null once it is gone. */
export function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

// USER_HZ: 100 on every Linux the bench runs on (`getconf CLK_TCK`).
const CLOCK_TICKS = 100;

/**
 * The CPU seconds a set of processes use between start and `stop()`, by group: `groups()` says which
 * pids belong to which group now (it is asked again every second, so processes that start meanwhile
 * are counted from 0). Each pid is sampled every `everyMs`, so one that exits loses at most that much.
 */
export function meterCpu(groups, everyMs = 250) {
  const pids = new Map(); // pid -> { group, first, last }
  // Processes first seen after the first look started during the measure: all their CPU counts.
  const take = (current, isFirst = false) => {
    for (const [group, list] of Object.entries(current)) {
      for (const pid of list) if (!pids.has(pid)) pids.set(pid, { group, first: isFirst ? (cpuSeconds(pid) ?? 0) : 0, last: null });
    }
    for (const entry of pids.entries()) {
      const cpu = cpuSeconds(entry[0]);
      if (cpu !== null) entry[1].last = cpu;
    }
  };
  const refresh = async (isFirst) => take(await groups(), isFirst);
  let ticks = 0;
  const ready = refresh(true);
  let busy = ready;
  const timer = setInterval(() => {
    ticks += 1;
    busy = busy.then(() => (ticks % Math.round(1000 / everyMs) === 0 ? refresh(false) : take({}))).catch(() => {});
  }, everyMs);
  return {
    ready,
    async stop() {
      clearInterval(timer);
      await busy;
      await refresh(false).catch(() => take({}));
      const totals = {};
      for (const { group, first, last } of pids.values()) totals[group] = (totals[group] ?? 0) + Math.max(0, (last ?? first) - first);
      return totals;
    },
  };
}
