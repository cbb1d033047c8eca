import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsBoolean, IsIn, IsInt, IsOptional, IsPositive, IsString, IsUUID, Max, MaxLength, Min, MinLength } from 'class-validator';
import { IsDecimalNumber, MAX_PAGE_SIZE } from '@hgtrace/common';
import { IsHsPrefix, ToHsCode } from '@hgtrace/reference';
import { IsCountry, IsDate, IsDateOnly } from '@hgtrace/registry';

export const CONSENT_TYPES = ['written_consent', 'general_notification', 'export_notification'] as const;
export type ConsentType = (typeof CONSENT_TYPES)[number];
export const CONSENT_PURPOSES = ['allowed_use', 'interim_storage'] as const;
export type ConsentPurpose = (typeof CONSENT_PURPOSES)[number];
export const CONSENT_STATUSES = ['active', 'withdrawn'] as const;
export type ConsentStatus = (typeof CONSENT_STATUSES)[number];

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const upper = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toUpperCase() : value);

export class CreateConsentDto {
  @ApiProperty({ example: 'BO-PIC-2026-007' }) @Transform(trim) @IsString() @MinLength(1) @MaxLength(64) reference: string;

  @ApiProperty({ enum: CONSENT_TYPES, example: 'written_consent', description: 'written_consent and general_notification are issued by the importing country; export_notification by the exporting one' })
  @IsIn(CONSENT_TYPES)
  type: ConsentType;

  @ApiProperty({ example: 'MX' }) @Transform(upper) @IsString() @IsCountry() exportingCountry: string;
  @ApiProperty({ example: 'BO' }) @Transform(upper) @IsString() @IsCountry() importingCountry: string;

  @ApiPropertyOptional({ description: 'a named exporter (a trader of the exporting country)' }) @IsOptional() @IsUUID('all') exporterId?: string;
  @ApiPropertyOptional({ description: 'a named importer (a trader of the importing country)' }) @IsOptional() @IsUUID('all') importerId?: string;

  @ApiProperty({ type: [String], example: ['280540'] })
  @ToHsCode() @ArrayMinSize(1) @ArrayMaxSize(100) @ArrayUnique() @IsString({ each: true }) @IsHsPrefix()
  hsCodes: string[];

  @ApiPropertyOptional({ example: 3450, description: 'kg consented; absent for no quantity limit' })
  @IsOptional() @IsDecimalNumber(3) @IsPositive() @Max(1e12)
  quantityKg?: number;

  @ApiProperty({ enum: CONSENT_PURPOSES, example: 'allowed_use' }) @IsIn(CONSENT_PURPOSES) purpose: ConsentPurpose;

  @ApiProperty({ example: '2026-01-01' }) @IsString() @IsDateOnly() @IsDate() validFrom: string;
  @ApiProperty({ example: '2026-12-31' }) @IsString() @IsDateOnly() @IsDate() validTo: string;

  @ApiPropertyOptional({ example: false, description: 'certification for trade with a non-Party (Art. 3(6)(b), 3(8))' })
  @IsOptional() @IsBoolean()
  nonPartyCertification?: boolean;

  @ApiPropertyOptional({ example: 'For use in dental amalgam production only' }) @IsOptional() @IsString() @MaxLength(4000) conditions?: string;
}

export class WithdrawConsentDto {
  @ApiProperty({ example: 'Importer licence revoked' }) @Transform(trim) @IsString() @MinLength(3) @MaxLength(2000) reason: string;
}

export class ListConsentsQuery {
  @ApiPropertyOptional({ example: 'MX' }) @IsOptional() @Transform(upper) @IsString() @IsCountry() exportingCountry?: string;
  @ApiPropertyOptional({ example: 'BO' }) @IsOptional() @Transform(upper) @IsString() @IsCountry() importingCountry?: string;
  @ApiPropertyOptional({ enum: CONSENT_STATUSES }) @IsOptional() @IsIn(CONSENT_STATUSES) status?: ConsentStatus;
  @ApiPropertyOptional({ example: 'BO-PIC-2026-007' }) @IsOptional() @Transform(trim) @IsString() @MaxLength(64) reference?: string;
  @ApiPropertyOptional({ example: '2026-03-01', description: 'report whether each consent could be used on this date (default today)' })
  @IsOptional() @IsString() @IsDateOnly() @IsDate() date?: string;
  @ApiPropertyOptional({ default: 50, maximum: MAX_PAGE_SIZE }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_PAGE_SIZE) limit?: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(512) cursor?: string;
}

export class ConsentQuery {
  @ApiPropertyOptional({ example: '2026-03-01' }) @IsOptional() @IsString() @IsDateOnly() @IsDate() date?: string;
}
