import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow, CurrentActor } from '@hgtrace/auth';
import type { Actor, Page } from '@hgtrace/common';
import { CommentDto, type FlagDetail, FlagsService, type FlagView, ListFlagsQuery, UpdateFlagDto } from '@hgtrace/flags';
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

@ApiTags('flags')
@ApiBearerAuth()
@Controller('flags')
export class FlagsController {
  constructor(private readonly flags: FlagsService) {}

  @Get()
  @Allow('flags.read')
  @ApiOperation({ summary: 'Flags that involve a country of yours, newest first' })
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
  @ApiOperation({ summary: 'One flag with its evidence, comments and history; the same case file for both countries' })
  @ApiOkResponse({ schema: { example: { ...FLAG_EXAMPLE, comments: [], history: [{ action: 'raised', from: null, to: 'open', reason: FLAG_EXAMPLE.summary, actor: 'crosscheck', at: '2026-03-01T12:00:03.120Z' }] } } })
  get(@CurrentActor() actor: Actor, @Param('id', uuidParam()) id: string): Promise<FlagDetail> {
    return this.flags.get(actor, id);
  }
}
