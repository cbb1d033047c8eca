import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { basename } from 'node:path';
import { Command, CommandRunner, Option } from 'nest-commander';
import { systemActor, ValidationFailedError } from '@hgtrace/common';
import { ComtradeService } from '@hgtrace/crosscheck';
import { EXIT_ROWS_REJECTED } from './import.command.js';

interface Options {
  source?: string;
}

@Command({
  name: 'mirror:import',
  arguments: '<file.csv>',
  description:
    'Load UN Comtrade bulk records (reporter, partner, flow, period, commodity code, net weight, primary value) for the mirror comparison. ' +
    'Countries that file no declarations into hgtrace for a year are compared through these; the next sweep or cross-check run recomputes the mirror.',
})
export class MirrorImportCommand extends CommandRunner {
  constructor(private readonly comtrade: ComtradeService) {
    super();
  }

  async run([file]: string[], options: Options): Promise<void> {
    await access(file).catch(() => {
      throw ValidationFailedError.of('file', `${file} does not exist or cannot be read`);
    });
    const result = await this.comtrade.import(systemActor(`cli:${process.env.USER ?? 'operator'}`), createReadStream(file), options.source ?? basename(file));
    const skipped = result.skipped;
    console.log(`${result.rowsRead} rows read: ${result.recordsStored} annual records stored, ${result.rejected} rejected`);
    console.log(`skipped: ${skipped.untrackedCommodity} of untracked commodity codes, ${skipped.aggregatePartner} with aggregate partners (World, n.e.s.), ${skipped.reExports} re-exports or re-imports`);
    for (const error of result.errors.slice(0, 20)) console.error(`  row ${error.row}, ${error.path}: ${error.message}`);
    if (result.errors.length > 20) console.error(`  … and ${result.errors.length - 20} more`);
    if (result.rejected > 0) process.exitCode = EXIT_ROWS_REJECTED;
  }

  @Option({ flags: '--source <name>', description: 'a name for the file in the records and the audit log (default: the file name)' })
  parseSource(value: string): string {
    return value;
  }
}
