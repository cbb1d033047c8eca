import { Body, Controller, Get, Logger, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Allow, CurrentActor } from '@hgtrace/auth';
import type { Actor, Page } from '@hgtrace/common';
import { CommentDto, type FlagDetail, FlagFiltersQuery, FlagsService, type FlagView, ListFlagsQuery, UpdateFlagDto } from '@hgtrace/flags';
import { uuidParam } from './params.js';

const FLAG_EXAMPLE = {
  id: '9c1e7a44-5d2b-4f0e-8a77-2b9f1d3c4e5a',
  code: 'CONSENT_QUANTITY_EXCEEDED',
  severity: 'high',
  score: 0.9,
  status: 'open',
  holds: true,
  summary: 'Export MX-2026-000123 of 3,450 kg to BO: Consent BO-PIC-2026-007 allows 3,450 kg; 1,000 kg were already drawn and this declaration adds 3,450 kg, 1,000 kg over',
  countries: ['BO', 'MX'],
  declarationIds: ['0b6f8a52-8f4e-4f55-9a53-6f1c8b6a2f10'],
  evidence: { declaration: { number: 'MX-2026-000123', country: 'MX', version: 1 }, findings: [{ consentReference: 'BO-PIC-2026-007', quantityKg: 3450, usedByOthersKg: 1000, declarationKg: 3450, excessKg: 1000 }] },
  assigneeId: null,
  version: 1,
  createdAt: '2026-03-01T12:00:03.120000Z',
};

const RELATED_EXAMPLE = {
  declarations: [
    {
      id: '0b6f8a52-8f4e-4f55-9a53-6f1c8b6a2f10', number: 'MX-2026-000123', country: 'MX', flow: 'export', status: 'received', version: 1, date: '2026-03-01',
      trader: { nationalId: 'MXA-0001', name: 'Minera del Norte SA de CV' }, counterparty: { name: 'Importadora Andina SRL', country: 'BO' },
      partnerCountry: 'BO', originCountry: 'MX', transportDocument: 'MSCU1234567', totalNetMassKg: 3450, totalValueUsd: 186300, hsCodes: ['280540'],
      licenceNumber: 'MX-EXP-0042', consentReference: 'BO-PIC-2026-007',
      licence: { id: '5f2a8d1e-2b1c-4a8e-9b0a-1d2e3f4a5b6c', number: 'MX-EXP-0042', type: 'export', status: 'active', validFrom: '2026-01-01', validTo: '2026-12-31', maxQuantityKg: 10000, usedQuantityKg: 4450 },
      consent: {
        id: '7d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a09', reference: 'BO-PIC-2026-007', type: 'written_consent', status: 'active', exportingCountry: 'MX', importingCountry: 'BO',
        validFrom: '2026-01-01', validTo: '2026-12-31', quantityKg: 3450, usedQuantityKg: 3450, remainingQuantityKg: 0,
      },
    },
  ],
  traders: [
    {
      country: 'MX', nationalId: 'MXA-0001', name: 'Minera del Norte SA de CV',
      openFlags: [{ id: '2a4c6e80-1b3d-4f5a-8c7e-9d0b1a2c3e4f', code: 'QUANTITY_MISMATCH', severity: 'high', status: 'in_review', summary: 'Export MX-2026-000101 of 1,725 kg: BO imported 1,380 kg', createdAt: '2026-02-11T08:30:00.000000Z' }],
    },
  ],
};

const CSV_EXAMPLE =
  'id,code,severity,score,status,countries,declaration_numbers,summary,assignee_email,created_at,updated_at\n' +
  '9c1e7a44-5d2b-4f0e-8a77-2b9f1d3c4e5a,CONSENT_QUANTITY_EXCEEDED,high,0.9,open,BO;MX,MX-2026-000123,"Export MX-2026-000123 of 3,450 kg to BO: ...",,2026-03-01T12:00:03.120000Z,2026-03-01T12:00:03.120000Z\n';

@ApiTags('flags')
@ApiBearerAuth()
@Controller('flags')
export class FlagsController {
  private readonly logger = new Logger(FlagsController.name);

  constructor(private readonly flags: FlagsService) {}

  @Get()
  @Allow('flags.read')
  @ApiOperation({ summary: 'Flags that involve a country of yours, newest first (sort=date) or highest score first (sort=score); the cursor pages within the sort it came from' })
  @ApiOkResponse({ schema: { example: { items: [FLAG_EXAMPLE], nextCursor: null } } })
  list(@CurrentActor() actor: Actor, @Query() query: ListFlagsQuery): Promise<Page<FlagView>> {
    return this.flags.list(actor, query);
  }

  @Get('summary')
  @Allow('flags.read')
  @ApiOperation({ summary: 'Counts by code, severity and status, with the same filters as the list' })
  @ApiOkResponse({ schema: { example: { total: 12, byCode: { QUANTITY_MISMATCH: 3, ROUTE_MISMATCH: 1 }, bySeverity: { high: 9, medium: 3 }, byStatus: { open: 10, in_review: 2 } } } })
  summary(@CurrentActor() actor: Actor, @Query() query: ListFlagsQuery) {
    return this.flags.summary(actor, query);
  }

  @Get('export.csv')
  @Allow('flags.read')
  @ApiOperation({
    summary: 'The flags of the list\'s filters and sort as a CSV file (header row; countries and declaration numbers separated by ";"), streamed from the database however many there are',
  })
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: 'text/csv, Content-Disposition: attachment', content: { 'text/csv': { schema: { type: 'string' }, example: CSV_EXAMPLE } } })
  @ApiTooManyRequestsResponse({ description: 'three exports are already running in this api process' })
  async exportCsv(@CurrentActor() actor: Actor, @Query() query: FlagFiltersQuery, @Res() reply: FastifyReply): Promise<void> {
    const csv = await this.flags.exportCsv(actor, query);
    // Once the first byte is out there is no error body to send: Fastify then cuts the response short,
    // which the client sees as an incomplete transfer (before it, the error body is sent). A client
    // that leaves destroys the stream without an error.
    csv.once('error', (error) => this.logger.error({ err: error, requestId: actor.requestId }, 'flag export failed'));
    reply
      .header('Content-Type', 'text/csv; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="flags-${new Date().toISOString().slice(0, 10)}.csv"`)
      .send(csv);
  }

  @Patch(':id')
  @Allow('flags.write')
  @ApiOperation({ summary: 'Change status (open → in_review → confirmed | dismissed; reopen) or assignee, with the version read; 409 when stale; a reason to confirm or dismiss' })
  @ApiOkResponse({ schema: { example: { ...FLAG_EXAMPLE, status: 'in_review', version: 2 } } })
  update(@CurrentActor() actor: Actor, @Param('id', uuidParam()) id: string, @Body() dto: UpdateFlagDto): Promise<FlagDetail> {
    return this.flags.update(actor, id, dto);
  }

  @Post(':id/comments')
  @Allow('flags.comment')
  @ApiOperation({ summary: 'Comment on a flag (analysts, and officers and focal points of the countries involved)' })
  @ApiCreatedResponse({ schema: { example: { id: '1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b', author: 'analyst@demo.hgtrace', text: 'Asked BO customs for the seal records', createdAt: '2026-03-02T09:00:00.000Z' } } })
  comment(@CurrentActor() actor: Actor, @Param('id', uuidParam()) id: string, @Body() dto: CommentDto) {
    return this.flags.comment(actor, id, dto.text);
  }

  @Get(':id')
  @Allow('flags.read')
  @ApiOperation({
    summary:
      'One flag with its evidence, comments and history; the same case file for both countries. `related` puts its declarations side by side ' +
      '(with the licence and consent each cites) and lists the other open or in-review flags of their traders',
  })
  @ApiOkResponse({
    schema: {
      example: { ...FLAG_EXAMPLE, comments: [], history: [{ action: 'raised', from: null, to: 'open', reason: FLAG_EXAMPLE.summary, actor: 'crosscheck', at: '2026-03-01T12:00:03.120Z' }], related: RELATED_EXAMPLE },
    },
  })
  get(@CurrentActor() actor: Actor, @Param('id', uuidParam()) id: string): Promise<FlagDetail> {
    return this.flags.get(actor, id);
  }
}
