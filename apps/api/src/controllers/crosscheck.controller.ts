import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsOptional, IsString, Matches } from 'class-validator';
import { Allow, CurrentActor } from '@hgtrace/auth';
import type { Actor } from '@hgtrace/common';
import { RunsService, type RunView } from '@hgtrace/crosscheck';
import { IsDate, IsDateOnly } from '@hgtrace/registry';
import { uuidParam } from './params.js';

class CreateRunDto {
  @ApiPropertyOptional({ example: '2025-01-01' }) @IsOptional() @IsString() @IsDateOnly() @IsDate() from?: string;
  @ApiPropertyOptional({ example: '2026-12-31' }) @IsOptional() @IsString() @IsDateOnly() @IsDate() to?: string;
  @ApiPropertyOptional({ type: [String], example: ['MX', 'BO'], description: 'declarations of or to these countries (default: yours)' })
  @IsOptional() @Transform(({ value }) => (Array.isArray(value) ? value.map((v: unknown) => (typeof v === 'string' ? v.toUpperCase() : v)) : value))
  @ArrayMinSize(1) @ArrayMaxSize(300) @IsString({ each: true }) @Matches(/^[A-Z]{2}$/, { each: true, message: 'each value must be an ISO 3166-1 alpha-2 code' })
  countries?: string[];
  @ApiPropertyOptional({ example: '2026-11-22', description: 'the day the windows are judged at (default today)' }) @IsOptional() @IsString() @IsDateOnly() @IsDate() asOf?: string;
}

@ApiTags('cross-check')
@ApiBearerAuth()
@Controller('crosscheck/runs')
export class CrosscheckController {
  constructor(private readonly runs: RunsService) {}

  @Post()
  @HttpCode(202)
  @Allow('crosscheck.run')
  @ApiOperation({ summary: 'Re-check every declaration dated in range, then sweep the windows passed at asOf (NO_MATCHING_IMPORT, NO_MATCHING_EXPORT)' })
  @ApiAcceptedResponse({ schema: { example: { id: '3e9b1c70-1d2e-4f3a-9b8c-7d6e5f4a3b2c' } } })
  create(@CurrentActor() actor: Actor, @Body() dto: CreateRunDto): Promise<{ id: string }> {
    return this.runs.create(actor, dto);
  }

  @Get(':id')
  @Allow('crosscheck.read')
  @ApiOperation({ summary: 'Progress of a run' })
  @ApiOkResponse({ schema: { example: { id: '3e9b1c70-1d2e-4f3a-9b8c-7d6e5f4a3b2c', status: 'running', total: 1200, done: 600, flagsRaised: 0, startedAt: '2026-11-22T03:00:00.000Z', finishedAt: null } } })
  get(@CurrentActor() actor: Actor, @Param('id', uuidParam()) id: string): Promise<RunView> {
    return this.runs.get(actor, id);
  }
}
