import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser, startTestApp, type TestApp, type TestUser } from '../support/test-app.js';

interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The compiled CLI in its own process, as operators run it; stderr is a pipe, not a terminal. */
function runCli(env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['dist/apps/cli/src/main.js', ...args], { env: { ...process.env, ...env }, timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const HEADER = readFileSync('examples/declarations.csv', 'utf8').split('\n')[0];

/** A CSV line of a valid mercury export MX → BO, with cells changed by column index. */
function line(number: string, change: Record<number, string> = {}): string {
  const cells = ['MX', 'export', number, '2026-03-01', 'MXA-0001', 'Minera del Norte SA de CV', 'Importadora Andina SRL', 'BO', '', 'BO', 'MX', 'MSCU1', '', '', '', 'sea', '280540', 'Mercury', '100', '5000'];
  for (const [i, v] of Object.entries(change)) cells[Number(i)] = v;
  return cells.join(',');
}

/** A user error: exit 1 and one line that says what is wrong, last on stderr (after any progress), no stack trace. */
function expectUserError(result: CliResult, message: RegExp): void {
  expect(result.status).toBe(1);
  const lines = result.stderr.trim().split('\n');
  expect(lines.filter((l) => l.startsWith('error:'))).toEqual([lines.at(-1)]);
  expect(lines.at(-1)).toMatch(message);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

describe('CLI import', () => {
  let t: TestApp;
  let dir: string;
  const u: Record<string, TestUser> = {};
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const cli = (...args: string[]) => runCli(t.env, ...args);

  beforeAll(async () => {
    t = await startTestApp();
    dir = mkdtempSync(join(tmpdir(), 'hgtrace-cli-import-'));
    u.officerMx = await createUser(t, 'customs_officer', ['MX'], 'officer.mx@hgtrace.test');
    u.analyst = await createUser(t, 'analyst', ['MX'], 'analyst.mx@hgtrace.test');
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.close();
  });

  it('imports the example file in-process, audited, and reports what it created; the same file again gives duplicates', async () => {
    const first = await cli('import', 'examples/declarations.csv');
    expect(first.stderr).not.toMatch(/error/i);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/examples\/declarations\.csv: 3 rows, 2 declarations/);
    expect(first.stdout).toMatch(/created\s+2\n\s+duplicate\s+0\n\s+rejected\s+0/);
    // Not a terminal: plain progress lines, no control characters.
    expect(first.stderr).toMatch(/imported: 3\/3 rows \(100%\)/);
    expect(first.stderr).not.toMatch(/\x1b/);

    const stored = await t.db.query(`SELECT number, source, total_net_mass_kg::float AS kg FROM declarations WHERE country = 'MX' ORDER BY number`);
    expect(stored.rows).toEqual([
      { number: 'MX-2026-000123', source: 'csv', kg: 3450 },
      { number: 'MX-2026-000124', source: 'csv', kg: 37.5 },
    ]);
    const imports = await t.db.query(`SELECT status, rows_total, created FROM imports`);
    expect(imports.rows).toEqual([{ status: 'completed', rows_total: 3, created: 2 }]);
    const audit = await t.db.query(`SELECT actor, action FROM audit_events WHERE action IN ('import.upload', 'declaration.file') ORDER BY id`);
    expect(audit.rows.map((r) => r.action)).toEqual(['import.upload', 'declaration.file', 'declaration.file']);
    expect(audit.rows.every((r) => r.actor.startsWith('cli:'))).toBe(true);
    // The import job was done here: nothing is left in the outbox for a worker, only the checks of the new declarations.
    const outbox = await t.db.query(`SELECT job_name, count(*)::int AS n FROM outbox GROUP BY job_name`);
    expect(outbox.rows).toEqual([{ job_name: 'check-declaration', n: 2 }]);

    const again = await cli('import', 'examples/declarations.csv');
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/created\s+0\n\s+duplicate\s+2\n\s+rejected\s+0/);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM declarations`)).rows[0].n).toBe(2);
  });

  it('files the good rows of a file with bad ones, lists the bad ones by row and column, and exits 2', async () => {
    const csv = file('some-bad.csv', [
      HEADER,
      line('MX-CLI-1'), // row 2: good
      line('MX-CLI-2', { 18: '-5' }), // row 3: negative mass
      line('MX-CLI-3', { 16: '28AB' }), // row 4: bad HS code
      line('MX-CLI-4', { 9: 'XX' }), // row 5: unknown partner country
      line('MX-CLI-5'), // row 6: good
    ].join('\n'));
    const result = await cli('import', csv);
    expect(result.status).toBe(2);
    expect(result.stdout).toMatch(/5 rows, 5 declarations/);
    expect(result.stdout).toMatch(/created\s+2\n\s+duplicate\s+0\n\s+rejected\s+3/);
    expect(result.stdout).toMatch(/row 3 {2}net_mass_kg: /);
    expect(result.stdout).toMatch(/row 4 {2}hs_code: /);
    expect(result.stdout).toMatch(/row 5 {2}partner_country: XX is not/);
    const stored = await t.db.query(`SELECT number FROM declarations WHERE number LIKE 'MX-CLI-%' ORDER BY number`);
    expect(stored.rows.map((r) => r.number)).toEqual(['MX-CLI-1', 'MX-CLI-5']);
  });

  it('acts as --as, with their permission and countries, and keeps to --country', async () => {
    const csv = file('as-officer.csv', [HEADER, line('MX-AS-1'), line('BO-AS-1', { 0: 'BO', 7: 'MX', 9: 'MX', 10: 'BO' })].join('\n'));
    const result = await cli('import', csv, '--as', 'Officer.MX@hgtrace.test');
    expect(result.status).toBe(2);
    expect(result.stdout).toMatch(/created\s+1\n\s+duplicate\s+0\n\s+rejected\s+1/);
    expect(result.stdout).toMatch(/row 3 {2}You may not file declarations for BO/);
    const filed = await t.db.query(`SELECT created_by FROM declarations WHERE number = 'MX-AS-1'`);
    expect(filed.rows[0].created_by).toBe(u.officerMx.id);
    const audit = await t.db.query(`SELECT actor_id, actor FROM audit_events WHERE action = 'declaration.file' AND entity_id = (SELECT id::text FROM declarations WHERE number = 'MX-AS-1')`);
    expect(audit.rows).toEqual([{ actor_id: u.officerMx.id, actor: 'officer.mx@hgtrace.test' }]);

    expectUserError(await cli('import', csv, '--as', 'analyst.mx@hgtrace.test'), /error: analyst\.mx@hgtrace\.test is an analyst; importing declarations takes the role customs_officer or system/);
    expectUserError(await cli('import', csv, '--as', 'nobody@hgtrace.test'), /error: User nobody@hgtrace\.test was not found/);
    expectUserError(await cli('import', csv, '--as', 'officer.mx@hgtrace.test', '--country', 'BO'), /error: You may not import declarations for BO: your account is limited to MX/);

    const onlyBo = await cli('import', file('only-bo.csv', [HEADER, line('MX-ONLY-1')].join('\n')), '--country', 'bo');
    expect(onlyBo.status).toBe(2);
    expect(onlyBo.stdout).toMatch(/row 2 {2}You may not file declarations for MX/);
  });

  it('refuses a missing, unreadable, empty or wrongly formatted file and an unknown country with one line and exit 1', async () => {
    const before = (await t.db.query(`SELECT count(*)::int AS n FROM declarations`)).rows[0].n;
    expectUserError(await cli('import', join(dir, 'nope.csv')), /error: .*nope\.csv: no such file/);
    mkdirSync(join(dir, 'folder.csv'));
    expectUserError(await cli('import', join(dir, 'folder.csv')), /error: .*folder\.csv is a directory, not a CSV file/);
    expectUserError(await cli('import', file('empty.csv', '')), /error: .*empty\.csv is empty/);
    expectUserError(await cli('import', file('wrong-header.csv', 'number,weight\nA,1\n')), /error: .*wrong-header\.csv: The file lacks the columns country, flow, date, .*hs_code/);
    expectUserError(await cli('import', 'examples/declarations.csv', '--country', 'ZZ'), /error: --country: ZZ is not an ISO 3166-1 alpha-2 country code/);
    const noFile = await cli('import');
    expect(noFile.status).toBe(1);
    expect(noFile.stderr).toMatch(/missing required argument 'file'/);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM declarations`)).rows[0].n).toBe(before);
  });

  it('--help describes the command, its argument, options and exit status', async () => {
    const help = await cli('import', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Import declarations from a CSV file/);
    expect(help.stdout).toMatch(/<file>/);
    expect(help.stdout).toMatch(/--as <email>/);
    expect(help.stdout).toMatch(/--country <code>/);
    expect(help.stdout).toMatch(/Exit status: 0 .* 2 when some rows/s);
  });

  it('leaves the import to a worker that took it first, following its progress, and counts each declaration once', async () => {
    const worker: ChildProcess = spawn(process.execPath, ['dist/apps/worker/src/main.js'], { env: { ...process.env, ...t.env, OUTBOX_POLL_MS: '200' }, stdio: 'ignore' });
    try {
      const csv = file('with-worker.csv', [HEADER, ...Array.from({ length: 40 }, (_, i) => line(`MX-W-${i}`))].join('\n'));
      const result = await cli('import', csv);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/created\s+40\n\s+duplicate\s+0\n\s+rejected\s+0/);
      const imported = await t.db.query(`SELECT created, duplicates, rejected FROM imports WHERE file_name = 'with-worker.csv'`);
      expect(imported.rows).toEqual([{ created: 40, duplicates: 0, rejected: 0 }]);
      expect((await t.db.query(`SELECT count(*)::int AS n FROM outbox WHERE job_name = 'import-declarations' AND published_at IS NULL`)).rows[0].n).toBe(0);
    } finally {
      worker.kill('SIGTERM');
      await new Promise((resolve) => worker.once('exit', resolve));
    }
  });
});
