import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Allow, CurrentActor } from '@hgtrace/auth';
import type { Actor } from '@hgtrace/common';
import { Article21Query, type Article21Report, Article21Service } from '@hgtrace/reports';

const CONSENT_ID = '7d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a09';
const ARTICLE21_EXAMPLE: Article21Report = {
  country: 'MX',
  from: '2026-01-01',
  to: '2026-12-31',
  imports: { totalKg: 0, declarations: 0, byPartner: [] },
  exports: {
    totalKg: 4830,
    declarations: 3,
    byPartner: [
      {
        partnerCountry: 'BO', partnerName: 'Bolivia, Plurinational State of', partnerMinamataPartySince: '2017-08-16', netMassKg: 4830, declarations: 3,
        consents: [
          { reference: 'BO-PIC-2026-007', consentId: CONSENT_ID, netMassKg: 3450, declarations: 2 },
          { reference: null, consentId: null, netMassKg: 1380, declarations: 1 },
        ],
      },
    ],
  },
  consents: [
    {
      id: CONSENT_ID, reference: 'BO-PIC-2026-007', type: 'written_consent', status: 'active', exportingCountry: 'MX', importingCountry: 'BO', purpose: 'allowed_use',
      validFrom: '2026-01-01', validTo: '2026-12-31', quantityKg: 5000, usedQuantityKg: 3450, remainingQuantityKg: 1550,
    },
  ],
};

const ARTICLE21_CSV_EXAMPLE =
  'country,from,to,flow,partner_country,partner_name,consent_reference,consent_type,consent_status,consent_quantity_kg,consent_used_quantity_kg,net_mass_kg,declarations\n' +
  'MX,2026-01-01,2026-12-31,export,BO,"Bolivia, Plurinational State of",BO-PIC-2026-007,written_consent,active,5000,3450,3450,2\n' +
  'MX,2026-01-01,2026-12-31,export,BO,"Bolivia, Plurinational State of",,,,,,1380,1\n';

@ApiTags('reports')
@ApiBearerAuth()
@Controller('reports')
export class ReportsController {
  constructor(private readonly article21: Article21Service) {}

  @Get('article21')
  @Allow('reports.read')
  @ApiOperation({
    summary:
      'The mercury trade section of a Minamata Convention Article 21 report for one country and period: its imports and exports of mercury (HS 2805.40) ' +
      'by partner, in kg, with the consents used (cited, else drawn from); cancelled declarations excluded. Admins, and analysts and focal points of the country',
  })
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({
    description: 'JSON, or with format=csv a table with a header row and a line per flow, partner and consent used (a partner\'s total is the sum of its lines)',
    content: { 'application/json': { schema: { type: 'object' }, example: ARTICLE21_EXAMPLE }, 'text/csv': { schema: { type: 'string' }, example: ARTICLE21_CSV_EXAMPLE } },
  })
  @ApiForbiddenResponse({ description: 'the country is outside your account\'s countries' })
  async report(@CurrentActor() actor: Actor, @Query() query: Article21Query, @Res({ passthrough: true }) reply: FastifyReply): Promise<Article21Report | string> {
    const report = await this.article21.report(actor, query);
    if (query.format !== 'csv') return report;
    reply.header('Content-Type', 'text/csv; charset=utf-8');
    reply.header('Content-Disposition', `attachment; filename="article21-${report.country}-${report.from}-${report.to}.csv"`);
    return this.article21.toCsv(report);
  }
}
