import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { AuditService, type AuditEventView, type AuditVerification } from '@hgtrace/audit';
import { Allow, countryScope, CurrentActor } from '@hgtrace/auth';
import { type Actor, MAX_PAGE_SIZE, type Page } from '@hgtrace/common';

class AuditQuery {
  @ApiPropertyOptional({ example: 'user' }) @IsOptional() @IsString() @MaxLength(64) entity?: string;
  @ApiPropertyOptional({ example: '0b6f8a52-8f4e-4f55-9a53-6f1c8b6a2f10' }) @IsOptional() @IsString() @MaxLength(128) entityId?: string;
  @ApiPropertyOptional({ description: 'user id or email', example: 'admin@hgtrace.local' }) @IsOptional() @IsString() @MaxLength(254) actor?: string;
  @ApiPropertyOptional({ default: 50, maximum: MAX_PAGE_SIZE }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_PAGE_SIZE) limit?: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(512) cursor?: string;
}

class AuditEventDto {
  @ApiProperty({ example: '42' }) id: string;
  @ApiProperty({ example: '2026-03-01T12:00:00.000Z' }) occurredAt: string;
  @ApiProperty({ nullable: true }) actorId: string | null;
  @ApiProperty({ example: 'focal.mx@semarnat.example' }) actor: string;
  @ApiProperty({ example: 'user.create' }) action: string;
  @ApiProperty({ example: 'user' }) entity: string;
  @ApiProperty() entityId: string;
  @ApiProperty({ type: [String], example: ['MX'] }) countries: string[];
  @ApiProperty({ nullable: true, type: Object }) before: unknown;
  @ApiProperty({ nullable: true, type: Object }) after: unknown;
  @ApiProperty({ nullable: true }) requestId: string | null;
  @ApiProperty({ nullable: true, example: '10.0.0.7' }) ip: string | null;
  @ApiProperty({ description: 'SHA-256 chaining this event to the one before it' }) hash: string;
}

class AuditPageDto {
  @ApiProperty({ type: [AuditEventDto] }) items: AuditEventDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

class AuditVerificationDto {
  @ApiProperty({ example: true }) ok: boolean;
  @ApiProperty({ example: 1024 }) events: number;
  @ApiProperty({ nullable: true, type: String, example: null, description: 'the first event whose hash or link does not hold' }) firstBrokenId: string | null;
}

@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @Allow('audit.read')
  @ApiOperation({ summary: 'The audit log, newest first, limited to events of records in your countries' })
  @ApiOkResponse({ type: AuditPageDto })
  list(@CurrentActor() actor: Actor, @Query() query: AuditQuery): Promise<Page<AuditEventView>> {
    return this.audit.list({ ...query, countries: actor.role === 'admin' ? null : countryScope(actor) });
  }

  @Get('verify')
  @Allow('audit.verify')
  @ApiOperation({ summary: 'Recompute the hash chain and report the first event that was changed or removed' })
  @ApiOkResponse({ type: AuditVerificationDto })
  verify(): Promise<AuditVerification> {
    return this.audit.verify();
  }
}
