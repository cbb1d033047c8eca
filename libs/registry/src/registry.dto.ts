import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayMinSize, ArrayUnique, IsIn, IsInt, IsISO8601, IsOptional, IsPositive, IsString, IsUUID, Matches, Max, MaxLength, Min, MinLength,
} from 'class-validator';
import { IsDecimalNumber, MAX_PAGE_SIZE } from '@hgtrace/common';
import { IsHsPrefix, ToHsCode } from '@hgtrace/reference';
import { LICENCE_STATUSES, LICENCE_TYPES, type LicenceStatus, type LicenceType } from './licence.entity.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const upper = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toUpperCase() : value);

export const COUNTRY = /^[A-Z]{2}$/;
export const IsCountry = () => Matches(COUNTRY, { message: 'must be an ISO 3166-1 alpha-2 country code' });
export const IsDate = () => IsISO8601({ strict: true, strictSeparator: true }, { message: 'must be a date YYYY-MM-DD' });
export const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
export const IsDateOnly = () => Matches(DATE_ONLY, { message: 'must be a date YYYY-MM-DD' });

export class CreateTraderDto {
  @ApiProperty({ example: 'MX' }) @Transform(upper) @IsString() @IsCountry()
  country: string;

  @ApiProperty({ example: 'MNO-840512-AB1', description: 'national identifier (tax or customs number), unique in its country' })
  @Transform(trim) @IsString() @MinLength(1) @MaxLength(64)
  nationalId: string;

  @ApiProperty({ example: 'Minera del Norte SA de CV' }) @Transform(trim) @IsString() @MinLength(1) @MaxLength(300)
  name: string;

  @ApiPropertyOptional({ example: 'Av. Industrial 120, Zacatecas' }) @IsOptional() @IsString() @MaxLength(500)
  address?: string;

  @ApiPropertyOptional({ type: [String], example: ['Minera Norte', 'MDN'] })
  @IsOptional() @ArrayMaxSize(50) @IsString({ each: true }) @MinLength(1, { each: true }) @MaxLength(300, { each: true })
  aliases?: string[];
}

export class ListTradersQuery {
  @ApiPropertyOptional({ example: 'MX' }) @IsOptional() @Transform(upper) @IsString() @IsCountry() country?: string;
  @ApiPropertyOptional({ example: 'minera andina', description: 'fuzzy search over names, aliases and national ids' })
  @IsOptional() @IsString() @MinLength(1) @MaxLength(300) q?: string;
  @ApiPropertyOptional({ default: 50, maximum: MAX_PAGE_SIZE }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_PAGE_SIZE) limit?: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(512) cursor?: string;
}

export class CreateLicenceDto {
  @ApiProperty({ example: '0b6f8a52-8f4e-4f55-9a53-6f1c8b6a2f10' }) @IsUUID('all') traderId: string;

  @ApiProperty({ example: 'MX-EXP-0042' }) @Transform(trim) @IsString() @MinLength(1) @MaxLength(64) number: string;

  @ApiProperty({ enum: LICENCE_TYPES, example: 'export' }) @IsIn(LICENCE_TYPES) type: LicenceType;

  @ApiProperty({ type: [String], example: ['280540'], description: 'HS headings (4 digits) or codes (6 to 10 digits) covered, as prefixes' })
  @ToHsCode() @ArrayMinSize(1) @ArrayMaxSize(100) @ArrayUnique() @IsString({ each: true }) @IsHsPrefix()
  hsCodes: string[];

  @ApiPropertyOptional({ example: 10000, description: 'ceiling in kg over the validity period' })
  @IsOptional() @IsDecimalNumber(3) @IsPositive() @Max(1e12)
  maxQuantityKg?: number;

  @ApiProperty({ example: '2026-01-01' }) @IsString() @IsDateOnly() @IsDate() validFrom: string;
  @ApiProperty({ example: '2026-12-31' }) @IsString() @IsDateOnly() @IsDate() validTo: string;
}

export class LicenceStatusChangeDto {
  @ApiProperty({ example: 'Inspection found storage outside the licensed site' })
  @Transform(trim) @IsString() @MinLength(3) @MaxLength(2000)
  reason: string;
}

export class ListLicencesQuery {
  @ApiPropertyOptional({ example: 'MX' }) @IsOptional() @Transform(upper) @IsString() @IsCountry() country?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID('all') traderId?: string;
  @ApiPropertyOptional({ enum: LICENCE_STATUSES }) @IsOptional() @IsIn(LICENCE_STATUSES) status?: LicenceStatus;
  @ApiPropertyOptional({ example: 'MX-EXP-0042' }) @IsOptional() @Transform(trim) @IsString() @MaxLength(64) number?: string;
  @ApiPropertyOptional({ example: '2026-03-01', description: 'report each licence\'s status on this date (default today)' })
  @IsOptional() @IsString() @IsDateOnly() @IsDate() date?: string;
  @ApiPropertyOptional({ default: 50, maximum: MAX_PAGE_SIZE }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_PAGE_SIZE) limit?: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(512) cursor?: string;
}

export class LicenceQuery {
  @ApiPropertyOptional({ example: '2026-03-01', description: 'report the status on this date (default today)' })
  @IsOptional() @IsString() @IsDateOnly() @IsDate() date?: string;
}
