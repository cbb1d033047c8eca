import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow, CurrentActor } from '@hgtrace/auth';
import type { Actor, Page } from '@hgtrace/common';
import { CreateLicenceDto, LicenceQuery, LicencesService, LicenceStatusChangeDto, ListLicencesQuery, type LicenceView } from '@hgtrace/registry';
import { uuidParam } from './params.js';
import { LicenceDto, LicencePageDto } from './registry.views.js';

@ApiTags('registry')
@ApiBearerAuth()
@Controller('licences')
export class LicencesController {
  constructor(private readonly licences: LicencesService) {}

  @Post()
  @Allow('registry.write')
  @ApiOperation({ summary: "Issue a licence to a trader (a focal point of the trader's country); 409 on a number used in the country" })
  @ApiCreatedResponse({ type: LicenceDto })
  create(@CurrentActor() actor: Actor, @Body() dto: CreateLicenceDto): Promise<LicenceView> {
    return this.licences.create(actor, dto);
  }

  @Get()
  @Allow('registry.read')
  @ApiOperation({ summary: 'Licences of your countries; with `number` and `date`, the border lookup: the status on that date' })
  @ApiOkResponse({ type: LicencePageDto })
  list(@CurrentActor() actor: Actor, @Query() query: ListLicencesQuery): Promise<Page<LicenceView>> {
    return this.licences.list(actor, query);
  }

  @Get(':id')
  @Allow('registry.read')
  @ApiOperation({ summary: 'One licence with its status history, and its status on `date` (default today)' })
  @ApiOkResponse({ type: LicenceDto })
  get(@CurrentActor() actor: Actor, @Param('id', uuidParam()) id: string, @Query() query: LicenceQuery): Promise<LicenceView> {
    return this.licences.get(actor, id, query.date);
  }

  @Post(':id/suspend')
  @HttpCode(200)
  @Allow('registry.write')
  @ApiOperation({ summary: 'Suspend an active licence, with a reason' })
  @ApiOkResponse({ type: LicenceDto })
  suspend(@CurrentActor() actor: Actor, @Param('id', uuidParam()) id: string, @Body() dto: LicenceStatusChangeDto): Promise<LicenceView> {
    return this.licences.changeStatus(actor, id, 'suspend', dto.reason);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @Allow('registry.write')
  @ApiOperation({ summary: 'Revoke a licence for good, with a reason' })
  @ApiOkResponse({ type: LicenceDto })
  revoke(@CurrentActor() actor: Actor, @Param('id', uuidParam()) id: string, @Body() dto: LicenceStatusChangeDto): Promise<LicenceView> {
    return this.licences.changeStatus(actor, id, 'revoke', dto.reason);
  }

  @Post(':id/reinstate')
  @HttpCode(200)
  @Allow('registry.write')
  @ApiOperation({ summary: 'Reinstate a suspended licence, with a reason' })
  @ApiOkResponse({ type: LicenceDto })
  reinstate(@CurrentActor() actor: Actor, @Param('id', uuidParam()) id: string, @Body() dto: LicenceStatusChangeDto): Promise<LicenceView> {
    return this.licences.changeStatus(actor, id, 'reinstate', dto.reason);
  }
}
