import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { Allow } from '@hgtrace/auth';
import { type CountryView, type HsCodeView, MERCURY_CLASSES, ReferenceService } from '@hgtrace/reference';

class CountryDto {
  @ApiProperty({ example: 'MX' }) code: string;
  @ApiProperty({ example: 'Mexico' }) name: string;
  @ApiProperty({ example: '2017-08-16', nullable: true, type: String, description: 'date the Minamata Convention entered into force for it; null for non-Parties' })
  minamataPartySince: string | null;
}

class HsCodeDto {
  @ApiProperty({ example: '280540' }) code: string;
  @ApiProperty({ example: 'Mercury' }) description: string;
  @ApiProperty({ enum: MERCURY_CLASSES, example: 'mercury' }) mercuryClass: string;
}

class HsCodeQuery {
  @ApiPropertyOptional({ example: '2805', description: 'code prefix or words of the description' }) @IsOptional() @IsString() @MaxLength(100) q?: string;
}

@ApiTags('reference')
@ApiBearerAuth()
@Controller('reference')
export class ReferenceController {
  constructor(private readonly reference: ReferenceService) {}

  @Get('countries')
  @Allow('reference.read')
  @ApiOperation({ summary: 'Every ISO 3166-1 country, with the date the Minamata Convention entered into force for it' })
  @ApiOkResponse({ type: [CountryDto] })
  countries(): CountryView[] {
    return this.reference.countries();
  }

  @Get('hs-codes')
  @Allow('reference.read')
  @ApiOperation({ summary: 'HS codes hgtrace knows, with their mercury class' })
  @ApiOkResponse({ type: [HsCodeDto] })
  hsCodes(@Query() query: HsCodeQuery): HsCodeView[] {
    return this.reference.hsCodes(query.q);
  }
}
