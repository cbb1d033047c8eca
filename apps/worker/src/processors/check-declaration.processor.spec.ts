import type { Env } from '@hgtrace/config';
import type { CheckOutcome, CheckRequest, CheckService } from '@hgtrace/crosscheck';
import { CheckDeclarationProcessor } from './check-declaration.processor.js';

/** A CheckService that records its batches and answers when told to. */
class FakeChecks {
  readonly batches: string[][] = [];
  readonly pending: (() => void)[] = [];
  failing = new Set<string>();

  async checkMany(requests: CheckRequest[]): Promise<CheckOutcome[]> {
    this.batches.push(requests.map((r) => r.declarationId));
    await new Promise<void>((resolve) => this.pending.push(resolve));
    if (requests.some((r) => this.failing.has(r.declarationId))) throw new Error('deadlock detected');
    return requests.map(() => 'checked');
  }

  async check(declarationId: string): Promise<CheckOutcome> {
    if (this.failing.has(declarationId)) throw new Error(`cannot check ${declarationId}`);
    return 'checked';
  }

  release(): void {
    for (const resolve of this.pending.splice(0)) resolve();
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('CheckDeclarationProcessor', () => {
  const make = (batchSize: number) => {
    const checks = new FakeChecks();
    const processor = new CheckDeclarationProcessor(checks as unknown as CheckService, { CHECK_BATCH_SIZE: batchSize } as Env);
    const handle = (id: string) => processor.handle({ declarationId: id, version: 1 });
    return { checks, processor, handle };
  };

  it('holds twice a batch of jobs, and checks what arrives while two batches run as one batch', async () => {
    const { checks, processor, handle } = make(3);
    expect(processor.concurrency).toBe(6);
    const done = [handle('a')];
    await tick();
    done.push(handle('b'));
    await tick();
    // Both slots taken: these wait and go together, at most three at a time.
    done.push(...['c', 'd', 'e', 'f'].map(handle));
    await tick();
    expect(checks.batches).toEqual([['a'], ['b']]);
    checks.release();
    await tick();
    await tick();
    expect(checks.batches.slice(2)).toEqual([['c', 'd', 'e'], ['f']]);
    checks.release();
    await Promise.all(done);
  });

  it('fails only the job of a declaration that cannot be checked, not the jobs batched with it', async () => {
    const { checks, handle } = make(10);
    checks.failing.add('bad');
    const first = handle('first');
    await tick();
    const second = handle('second');
    await tick();
    const batch = ['x', 'bad', 'y'].map((id) => handle(id).then(() => 'ok', (e: Error) => e.message));
    await tick();
    checks.release();
    await Promise.all([first, second]);
    await tick();
    checks.release();
    expect(await Promise.all(batch)).toEqual(['ok', 'cannot check bad', 'ok']);
  });
});
