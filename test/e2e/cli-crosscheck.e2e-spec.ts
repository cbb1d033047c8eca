import { spawn } from 'node:child_process';
import { exportDeclaration } from '../support/factories.js';
import { createUser, requestAs, startTestApp, type TestApp, type TestUser } from '../support/test-app.js';

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

/** A user error: exit 1 and one line that says what is wrong, no stack trace. */
function expectUserError(result: CliResult, message: RegExp): void {
  expect(result.status).toBe(1);
  const lines = result.stderr.trim().split('\n');
  expect(lines.filter((l) => l.startsWith('error:'))).toEqual([lines.at(-1)]);
  expect(lines.at(-1)).toMatch(message);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

describe('CLI crosscheck', () => {
  let t: TestApp;
  const u: Record<string, TestUser> = {};
  const cli = (...args: string[]) => runCli(t.env, ...args);
  const holding = async (number: string) =>
    (await t.db.query(`SELECT f.code FROM flags f JOIN declarations d ON d.id = ANY (f.declaration_ids) WHERE d.number = $1 AND f.holds ORDER BY f.code`, [number])).rows.map((r) => r.code);
  const runs = async () => (await t.db.query(`SELECT count(*)::int AS n FROM crosscheck_runs`)).rows[0].n;

  beforeAll(async () => {
    t = await startTestApp();
    u.officerMx = await createUser(t, 'customs_officer', ['MX'], 'officer.mx@hgtrace.test');
    u.officerBo = await createUser(t, 'customs_officer', ['BO']);
    u.analyst = await createUser(t, 'analyst', ['MX', 'BO'], 'analyst.mxbo@hgtrace.test');
    // No worker runs: these are checked only by the CLI's run.
    await requestAs(t, u.officerMx, 'post', '/api/v1/declarations', exportDeclaration({ number: 'MX-LOST-1', date: '2026-03-01', transportDocument: 'MSCU5550001', containers: ['MSCU5550009'] })).expect(201);
    await requestAs(t, u.officerMx, 'post', '/api/v1/declarations', exportDeclaration({ number: 'MX-SHORT-1', date: '2026-03-05', transportDocument: 'MSCU7770001', containers: ['MSCU7770009'] })).expect(201);
    await requestAs(t, u.officerBo, 'post', '/api/v1/declarations', exportDeclaration({
      country: 'BO', flow: 'import', number: 'BO-SHORT-1', date: '2026-04-02', partnerCountry: 'MX', transportDocument: 'MSCU 777 0001', containers: ['MSCU7770009'],
      trader: { nationalId: 'BOI-1', name: 'Importadora Andina SRL' }, counterparty: { name: 'Minera del Norte SA de CV', country: 'MX' }, licenceNumber: undefined, consentReference: undefined,
      items: [{ hsCode: '280540', description: 'Mercury', netMassKg: 2760, valueUsd: 158000 }],
    })).expect(201);
  });
  afterAll(() => t.close());

  it('runs a cross-check in-process, prints its completion and the flags that hold, and leaves a completed run', async () => {
    const result = await cli('crosscheck', '--from', '2026-01-01', '--to', '2026-12-31', '--as-of', '2026-11-01', '--countries', 'mx,BO');
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.status).toBe(0);
    // Three declarations by the compliance rules, then the two exports by matching.
    expect(result.stderr).toMatch(/checked: 5\/5 checks \(100%\)/);
    expect(result.stderr).not.toMatch(/\x1b/);

    const { rows: [run] } = await t.db.query(`SELECT id, status, total, done, flags_raised, countries, to_char(as_of, 'YYYY-MM-DD') AS as_of, requested_by FROM crosscheck_runs`);
    expect(run).toMatchObject({ status: 'completed', total: 5, done: 5, countries: ['MX', 'BO'], as_of: '2026-11-01', requested_by: null });
    expect(result.stdout).toMatch(new RegExp(`cross-check run ${run.id} completed in [\\d.]+ s: 5 checks \\(declarations by the compliance rules, exports by matching\\), ${run.flags_raised} flags raised`));
    expect(result.stdout).toMatch(/range 2026-01-01 to 2026-12-31, countries MX, BO, windows judged at 2026-11-01/);

    // The export never imported is flagged by the sweep; the one imported short by the pair rules.
    expect(await holding('MX-LOST-1')).toContain('NO_MATCHING_IMPORT');
    expect(await holding('MX-SHORT-1')).toContain('QUANTITY_MISMATCH');
    expect(await holding('MX-SHORT-1')).not.toContain('NO_MATCHING_IMPORT');
    // The summary counts what the flags table holds, code by code.
    const { rows: byCode } = await t.db.query(`SELECT code, count(*)::int AS n FROM flags WHERE holds GROUP BY code ORDER BY code`);
    expect(run.flags_raised).toBe(byCode.reduce((sum, r) => sum + r.n, 0));
    for (const { code, n } of byCode) expect(result.stdout).toMatch(new RegExp(`^  ${code} +${n}$`, 'm'));
    // The run's job was done here, not left for a worker.
    expect((await t.db.query(`SELECT count(*)::int AS n FROM outbox WHERE job_name = 'crosscheck-run'`)).rows[0].n).toBe(0);
  });

  it('runs as --as within their countries and role', async () => {
    const result = await cli('crosscheck', '--as', 'analyst.mxbo@hgtrace.test', '--as-of', '2026-11-01');
    expect(result.status).toBe(0);
    const { rows: [run] } = await t.db.query(`SELECT countries, requested_by FROM crosscheck_runs ORDER BY created_at DESC LIMIT 1`);
    expect(run).toEqual({ countries: ['MX', 'BO'], requested_by: u.analyst.id });
    expectUserError(await cli('crosscheck', '--as', 'analyst.mxbo@hgtrace.test', '--countries', 'PE'), /error: You may run cross-checks only for MX, BO/);
    expectUserError(await cli('crosscheck', '--as', 'officer.mx@hgtrace.test'), /error: officer\.mx@hgtrace\.test is a customs_officer; running a cross-check takes the role analyst or admin/);
  });

  it('refuses bad dates, a range that ends before it starts and unknown countries, and creates no run', async () => {
    const before = await runs();
    expectUserError(await cli('crosscheck', '--from', '2026-02-30'), /^error: --from: must be a date YYYY-MM-DD$/);
    expectUserError(await cli('crosscheck', '--to', '1/3/2026'), /^error: --to: must be a date YYYY-MM-DD$/);
    expectUserError(await cli('crosscheck', '--as-of', 'yesterday'), /^error: --as-of: must be a date YYYY-MM-DD$/);
    expectUserError(await cli('crosscheck', '--from', '2026-05-01', '--to', '2026-04-01'), /^error: --to: 2026-04-01 is before --from 2026-05-01$/);
    expectUserError(await cli('crosscheck', '--countries', 'MX,ZZ'), /^error: --countries: ZZ is not an ISO 3166-1 alpha-2 country code$/);
    expect(await runs()).toBe(before);
  });

  it('--help describes the command and its options', async () => {
    const help = await cli('crosscheck', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Run a cross-check/);
    for (const option of ['--from <date>', '--to <date>', '--as-of <date>', '--countries <codes>', '--as <email>']) expect(help.stdout).toContain(option);
    const all = await cli('--help');
    expect(all.status).toBe(0);
    expect(all.stdout).toMatch(/import \[options\] <file>/);
    expect(all.stdout).toMatch(/crosscheck \[options\]/);
  });
});
