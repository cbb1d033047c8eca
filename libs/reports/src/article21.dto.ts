import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString } from 'class-validator';
import { IsCountry, IsDate, IsDateOnly } from '@hgtrace/registry';

export const REPORT_FORMATS = ['json', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

const upper = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toUpperCase() : value);

export class Article21Query {
  @ApiProperty({ example: 'MX', description: 'the reporting Party' }) @Transform(upper) @IsString() @IsCountry() country: string;
  @ApiProperty({ example: '2026-01-01', description: 'first day of the period (declaration date), inclusive' }) @IsString() @IsDateOnly() @IsDate() from: string;
  @ApiProperty({ example: '2026-12-31', description: 'last day of the period, inclusive' }) @IsString() @IsDateOnly() @IsDate() to: string;
  @ApiPropertyOptional({ enum: REPORT_FORMATS, default: 'json' }) @IsOptional() @IsIn(REPORT_FORMATS, { message: `must be one of ${REPORT_FORMATS.join(', ')}` }) format?: ReportFormat;
}

/**
 * The declarations of one flow and partner that used one consent: the one they cite, else the one an
 * export drew from. Reference and consentId null: none; consentId alone null: a reference unknown to hgtrace.
 */
export interface Article21ConsentUse {
  reference: string | null;
  consentId: string | null;
  netMassKg: number;
  declarations: number;
}

export interface Article21Partner {
  partnerCountry: string;
  partnerName: string;
  /** When the Minamata Convention entered into force for the partner; null for a non-Party. */
  partnerMinamataPartySince: string | null;
  netMassKg: number;
  declarations: number;
  consents: Article21ConsentUse[];
}

export interface Article21Flow {
  totalKg: number;
  declarations: number;
  byPartner: Article21Partner[];
}

export interface Article21Consent {
  id: string;
  reference: string;
  type: string;
  status: string;
  exportingCountry: string;
  importingCountry: string;
  purpose: string;
  validFrom: string;
  validTo: string;
  quantityKg: number | null;
  /** Drawn by all declarations so far, in and out of the period. */
  usedQuantityKg: number;
  remainingQuantityKg: number | null;
}

export interface Article21Report {
  country: string;
  from: string;
  to: string;
  imports: Article21Flow;
  exports: Article21Flow;
  consents: Article21Consent[];
}
