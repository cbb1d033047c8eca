import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow, CurrentActor } from '@hgtrace/auth';
import type { Actor, Page } from '@hgtrace/common';
import { ConsentQuery, ConsentsService, type ConsentView, CreateConsentDto, ListConsentsQuery, WithdrawConsentDto } from '@hgtrace/consents';
import { uuidParam } from './params.js';
import { ConsentDto, ConsentPageDto } from './registry.views.js';

@ApiTags('consents')
@ApiBearerAuth()
@Controller('consents')
export class ConsentsController {
  constructor(private readonly consents: ConsentsService) {}

  @Post()
  @Allow('consents.write')
  @ApiOperation({ summary: 'Record a consent (PIC notice): written consents and general notifications by the importing country, export notifications by the exporting one' })
  @ApiCreatedResponse({ type: ConsentDto })
  create(@CurrentActor() actor: Actor, @Body() dto: CreateConsentDto): Promise<ConsentView> {
    return this.consents.create(actor, dto);
  }

  @Get()
  @Allow('consents.read')
  @ApiOperation({ summary: 'Consents involving your countries; with `reference` and `date`, the border lookup' })
  @ApiOkResponse({ type: ConsentPageDto })
  list(@CurrentActor() actor: Actor, @Query() query: ListConsentsQuery): Promise<Page<ConsentView>> {
    return this.consents.list(actor, query);
  }

  @Get(':id')
  @Allow('consents.read')
  @ApiOperation({ summary: 'One consent with its used and remaining quantity, and its status on `date` (default today)' })
  @ApiOkResponse({ type: ConsentDto })
  get(@CurrentActor() actor: Actor, @Param('id', uuidParam()) id: string, @Query() query: ConsentQuery): Promise<ConsentView> {
    return this.consents.get(actor, id, query.date);
  }

  @Post(':id/withdraw')
  @HttpCode(200)
  @Allow('consents.write')
  @ApiOperation({ summary: 'Withdraw a consent, with a reason (its issuing country only)' })
  @ApiOkResponse({ type: ConsentDto })
  withdraw(@CurrentActor() actor: Actor, @Param('id', uuidParam()) id: string, @Body() dto: WithdrawConsentDto): Promise<ConsentView> {
    return this.consents.withdraw(actor, id, dto.reason);
  }
}
