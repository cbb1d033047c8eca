import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { Allow, CurrentActor } from '@hgtrace/auth';
import { type Actor, ValidationFailedError } from '@hgtrace/common';
import { type MirrorRow, StatisticsService } from '@hgtrace/crosscheck';

const upper = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toUpperCase() : value);

class MirrorQueryDto {
  @ApiPropertyOptional({ example: 2025 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1950) @Max(2200) year?: number;
  @ApiPropertyOptional({ example: '280540', description: 'six-digit HS code' }) @IsOptional() @IsString() @Matches(/^\d{6}$/, { message: 'must be a six-digit HS code' }) hsCode?: string;
  @ApiPropertyOptional({ example: 'MX', description: 'either side of the pair' })
  @IsOptional() @Transform(upper) @IsString() @Matches(/^[A-Z]{2}$/, { message: 'must be an ISO 3166-1 alpha-2 country code' }) country?: string;
  @ApiPropertyOptional({ example: 'BO', description: 'the other side (with country)' })
  @IsOptional() @Transform(upper) @IsString() @Matches(/^[A-Z]{2}$/, { message: 'must be an ISO 3166-1 alpha-2 country code' }) partner?: string;
}

@ApiTags('cross-check')
@ApiBearerAuth()
@Controller('mirror')
export class MirrorController {
  constructor(private readonly statistics: StatisticsService) {}

  @Get()
  @Allow('mirror.read')
  @ApiOperation({ summary: 'Mirror statistics: exporter- against importer-reported mass and value, per country pair, HS code and year (recomputed at each sweep and run)' })
  @ApiOkResponse({
    schema: {
      example: {
        items: [{ exporter: 'MX', importer: 'BO', year: 2025, hsCode: '280540', exportedKg: 41400, importedKg: 27600, gapKg: 13800, gapRatio: 0.3333, exportedUsd: 2235600, importedUsd: 1580000, exportSource: 'declarations', importSource: 'declarations' }],
      },
    },
  })
  list(@CurrentActor() actor: Actor, @Query() query: MirrorQueryDto): Promise<{ items: MirrorRow[] }> {
    if (query.partner && !query.country) throw ValidationFailedError.of('partner', 'needs country: the pair is country and partner');
    return this.statistics.mirror(actor, query);
  }
}
