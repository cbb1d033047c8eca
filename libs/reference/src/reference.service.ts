import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { type ErrorDetail, ValidationFailedError } from '@hgtrace/common';
import type { MercuryClass } from './reference-data.js';

export interface CountryView {
  code: string;
  name: string;
  minamataPartySince: string | null;
}

export interface HsCodeView {
  code: string;
  description: string;
  mercuryClass: MercuryClass;
}

/**
 * Countries and HS codes. Both are small and change only with a release, so they are read once per
 * process and served from memory.
 */
@Injectable()
export class ReferenceService implements OnModuleInit {
  private countryList: CountryView[] = [];
  private countryByCode = new Map<string, CountryView>();
  private hsList: HsCodeView[] = [];

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async onModuleInit(): Promise<void> {
    await this.refresh();
  }

  async refresh(): Promise<void> {
    const countries: { code: string; name: string; since: string | null }[] = await this.dataSource.query(
      `SELECT code, name, to_char(minamata_party_since, 'YYYY-MM-DD') AS since FROM countries ORDER BY code`,
    );
    this.countryList = countries.map((c) => ({ code: c.code, name: c.name, minamataPartySince: c.since }));
    this.countryByCode = new Map(this.countryList.map((c) => [c.code, c]));
    const codes: { code: string; description: string; mercury_class: MercuryClass }[] = await this.dataSource.query(
      `SELECT code, description, mercury_class FROM hs_codes ORDER BY code`,
    );
    this.hsList = codes.map((h) => ({ code: h.code, description: h.description, mercuryClass: h.mercury_class }));
  }

  countries(): CountryView[] {
    return this.countryList;
  }

  country(code: string): CountryView | undefined {
    return this.countryByCode.get(code);
  }

  /** Whether `code` was a Party to the Minamata Convention on `date` (YYYY-MM-DD). */
  isPartyOn(code: string, date: string): boolean {
    const since = this.countryByCode.get(code)?.minamataPartySince;
    return since !== null && since !== undefined && since <= date;
  }

  /** Throws a 400 naming each field whose country code is not an ISO 3166-1 country. */
  assertCountries(fields: Record<string, string | undefined | null>): void {
    const details: ErrorDetail[] = Object.entries(fields)
      .filter(([, code]) => code !== undefined && code !== null && !this.countryByCode.has(code))
      .map(([path, code]) => ({ path, message: `${code} is not an ISO 3166-1 alpha-2 country code` }));
    if (details.length) throw new ValidationFailedError(details);
  }

  /** HS codes whose code starts with, or whose description contains, `q`. */
  hsCodes(q?: string): HsCodeView[] {
    if (!q) return this.hsList;
    const digits = q.replace(/[.\s]/g, '');
    const words = q.toLowerCase();
    return this.hsList.filter((h) => (/^\d+$/.test(digits) && h.code.startsWith(digits)) || h.description.toLowerCase().includes(words));
  }

  /** The mercury class of an HS code: that of the longest listed code it starts with, else `other`. */
  mercuryClassOf(hsCode: string): MercuryClass {
    let best: HsCodeView | undefined;
    for (const h of this.hsList) {
      if (hsCode.startsWith(h.code) && (!best || h.code.length > best.code.length)) best = h;
    }
    return best?.mercuryClass ?? 'other';
  }
}
