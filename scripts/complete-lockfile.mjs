#!/usr/bin/env node
// Adds the platform-specific optional packages (other operating systems and CPUs) that npm left out
// of package-lock.json, so that `npm ci` accepts the lock file on every platform. npm 11 writes them
// only when the registry returns their full metadata (npm/cli#9342); run this after `npm install`.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const packages = lock.packages;
let added = 0;
for (const [path, entry] of Object.entries(packages)) {
  for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${path}/node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (packages[nested] || packages[hoisted]) continue;
    const record = view(name, spec) ?? inferred(name, spec);
    packages[hoisted] = Object.fromEntries(
      Object.entries({
        version: record.version,
        integrity: record['dist.integrity'],
        cpu: record.cpu,
        os: record.os,
        libc: record.libc,
        license: record.license,
        engines: record.engines,
        dev: entry.dev,
        optional: true,
      }).filter(([, v]) => v !== undefined),
    );
    added += 1;
  }
}
function view(name, spec) {
  try {
    const meta = JSON.parse(execFileSync('npm', ['view', `${name}@${spec}`, 'version', 'dist.integrity', 'os', 'cpu', 'libc', 'license', 'engines', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    return Array.isArray(meta) ? meta.at(-1) : meta;
  } catch {
    return undefined;
  }
}

// A registry mirror may lack builds for platforms nobody here uses; npm ci skips them by os and cpu
// without fetching, so the platform read from the package name is all the entry needs.
function inferred(name, spec) {
  const os = ['darwin', 'linux', 'win32', 'android', 'freebsd', 'openharmony', 'sunos', 'aix'].find((o) => name.includes(o));
  const cpu = ['arm64', 'x64', 'ia32', 'loong64', 'ppc64', 'riscv64', 's390x', 'arm'].find((c) => name.includes(c));
  if (!os || !cpu) throw new Error(`cannot tell the platform of ${name}@${spec}`);
  return { version: spec.replace(/^[\^~=]/, ''), os: [os], cpu: [cpu] };
}

lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} optional platform packages to package-lock.json`);
