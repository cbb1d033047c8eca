import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Allow, CurrentActor } from '@hgtrace/auth';
import type { Actor, Page } from '@hgtrace/common';
import {
  AmendDeclarationDto, BatchDto, type BatchResult, CancelDeclarationDto, type DeclarationDetail, DeclarationDto, DeclarationsService, type DeclarationView, ListDeclarationsQuery,
} from '@hgtrace/declarations';
import { type Verdict, VerifyService } from '@hgtrace/crosscheck';
import { type FlagView, FlagsService } from '@hgtrace/flags';
import { uuidParam } from './params.js';

@ApiTags('declarations')
@ApiBearerAuth()
@Controller('declarations')
export class DeclarationsController {
  constructor(
    private readonly declarations: DeclarationsService,
    private readonly verifier: VerifyService,
    private readonly flags: FlagsService,
  ) {}

  @Post()
  @Allow('declarations.write')
  @ApiOperation({ summary: 'File a declaration (customs officers and systems of the declaring country); the same number and content again answers 200 with the stored one' })
  @ApiCreatedResponse({ description: 'stored, version 1, status received; checked in the background' })
  @ApiOkResponse({ description: 'the same declaration was already stored' })
  @ApiConflictResponse({ description: 'the number exists with different content' })
  async create(@CurrentActor() actor: Actor, @Body() dto: DeclarationDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<DeclarationDetail> {
    const { created, declaration } = await this.declarations.submit(actor, dto, actor.role === 'system' ? 'system' : 'api');
    reply.status(created ? 201 : 200);
    return declaration;
  }

  @Post('verify')
  @HttpCode(200)
  @Allow('declarations.verify')
  @ApiOperation({
    summary: 'The instant verdict on a declaration that is not stored: green, yellow or red, with findings in plain words (licence, consent, non-Party rules)',
  })
  @ApiOkResponse({
    schema: {
      example: {
        lane: 'red',
        findings: [{ code: 'LICENCE_INACTIVE', severity: 'high', message: 'Licence MX-EXP-0042 was suspended on 2026-03-10 (Storage inspection failed); the declaration is dated 2026-03-15' }],
        licence: { id: '5f2a8d1e-2b1c-4a8e-9b0a-1d2e3f4a5b6c', number: 'MX-EXP-0042', status: 'suspended', validFrom: '2026-01-01', validTo: '2026-12-31', maxQuantityKg: 10000, usedByOthersKg: 3450 },
      },
    },
  })
  verify(@CurrentActor() actor: Actor, @Body() dto: DeclarationDto): Promise<Verdict> {
    this.declarations.validateSemantics(dto);
    return this.verifier.verify(actor, dto);
  }

  @Post('batch')
  @HttpCode(200)
  @Allow('declarations.write')
  @ApiOperation({ summary: 'File up to 1,000 declarations; each is reported by index as created, duplicate or rejected (with field paths)' })
  @ApiOkResponse({ schema: { example: { results: [{ index: 0, status: 'created', id: '0b6f8a52-8f4e-4f55-9a53-6f1c8b6a2f10' }, { index: 1, status: 'rejected', errors: [{ path: 'items[0].netMassKg', message: 'must be a positive number' }] }] } } })
  async batch(@CurrentActor() actor: Actor, @Body() dto: BatchDto): Promise<{ results: BatchResult[] }> {
    return { results: await this.declarations.submitBatch(actor, dto.declarations, actor.role === 'system' ? 'system' : 'batch') };
  }

  @Get()
  @Allow('declarations.read')
  @ApiOperation({ summary: 'Declarations of your countries, newest first' })
  list(@CurrentActor() actor: Actor, @Query() query: ListDeclarationsQuery): Promise<Page<DeclarationView>> {
    return this.declarations.list(actor, query);
  }

  @Get(':id')
  @Allow('declarations.read')
  @ApiOperation({ summary: 'One declaration with its items, versions, check status, matches (counterpart declarations) and flags' })
  async get(@CurrentActor() actor: Actor, @Param('id', uuidParam()) id: string): Promise<DeclarationDetail & { flags: FlagView[] }> {
    const declaration = await this.declarations.get(actor, id);
    return { ...declaration, flags: await this.flags.forDeclaration(id) };
  }

  @Put(':id')
  @Allow('declarations.write')
  @ApiOperation({ summary: 'Amend: the full new content with the version it amends (409 if stale); checked again' })
  amend(@CurrentActor() actor: Actor, @Param('id', uuidParam()) id: string, @Body() dto: AmendDeclarationDto): Promise<DeclarationDetail> {
    return this.declarations.amend(actor, id, dto);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Allow('declarations.write')
  @ApiOperation({ summary: 'Cancel, with a reason; consent and licence quantities are given back' })
  cancel(@CurrentActor() actor: Actor, @Param('id', uuidParam()) id: string, @Body() dto: CancelDeclarationDto): Promise<DeclarationDetail> {
    return this.declarations.cancel(actor, id, dto.reason);
  }
}
