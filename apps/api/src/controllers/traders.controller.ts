import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow, CurrentActor } from '@hgtrace/auth';
import type { Actor, Page } from '@hgtrace/common';
import { CreateTraderDto, LicencesService, ListTradersQuery, type LicenceView, type TraderView, TradersService } from '@hgtrace/registry';
import { uuidParam } from './params.js';
import { TraderDto, TraderPageDto, TraderWithLicencesDto } from './registry.views.js';

@ApiTags('registry')
@ApiBearerAuth()
@Controller('traders')
export class TradersController {
  constructor(
    private readonly traders: TradersService,
    private readonly licences: LicencesService,
  ) {}

  @Post()
  @Allow('registry.write')
  @ApiOperation({ summary: 'Register a trader (a focal point of its country); 409 if the national id is registered there' })
  @ApiCreatedResponse({ type: TraderDto })
  create(@CurrentActor() actor: Actor, @Body() dto: CreateTraderDto): Promise<TraderView> {
    return this.traders.create(actor, dto);
  }

  @Get()
  @Allow('registry.read')
  @ApiOperation({ summary: 'Traders of your countries; `q` searches names and aliases fuzzily (accents, case, legal forms ignored) and national ids' })
  @ApiOkResponse({ type: TraderPageDto })
  list(@CurrentActor() actor: Actor, @Query() query: ListTradersQuery): Promise<Page<TraderView>> {
    return this.traders.list(actor, query);
  }

  @Get(':id')
  @Allow('registry.read')
  @ApiOperation({ summary: 'One trader with its licences' })
  @ApiOkResponse({ type: TraderWithLicencesDto })
  async get(@CurrentActor() actor: Actor, @Param('id', uuidParam()) id: string): Promise<TraderView & { licences: LicenceView[] }> {
    const trader = await this.traders.get(actor, id);
    const licences = await this.licences.list(actor, { traderId: id, limit: 500 });
    return { ...trader, licences: licences.items };
  }
}
