// Prints the functions with the most time in a V8 .cpuprofile:
//   node bench/profile-summary.mjs <file> [count] [--inclusive] [--grep text]
// Self time by default; --inclusive counts a sample for every function on its stack (once each), which
// shows where a request's time goes beneath a handler. --grep keeps the lines whose name contains text.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { inclusive: { type: 'boolean', default: false }, grep: { type: 'string' } } });
const [file, count = '30'] = positionals;
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map(profile.nodes.flatMap((n) => (n.children ?? []).map((c) => [c, n.id])));
const keyOf = (frame) => `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*node_modules\//, '~/').replace(/^.*\/dist\//, 'dist/')}:${frame.lineNumber + 1}`;
const time = new Map();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  total += dt;
  const keys = new Set();
  for (let node = id; node !== undefined; node = values.inclusive ? parent.get(node) : undefined) keys.add(keyOf(byId.get(node).callFrame));
  for (const key of keys) time.set(key, (time.get(key) ?? 0) + dt);
});
console.log(`total ${(total / 1e6).toFixed(1)} s, ${values.inclusive ? 'inclusive' : 'self'} time`);
const lines = [...time].filter(([key]) => !values.grep || key.includes(values.grep)).sort((a, b) => b[1] - a[1]).slice(0, Number(count));
for (const [key, us] of lines) console.log(`${(us / 1e3).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`);
