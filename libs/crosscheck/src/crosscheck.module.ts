import { Module } from '@nestjs/common';
import { FlagsModule } from '@hgtrace/flags';
import { CheckService } from './check.service.js';
import { PairCheckService } from './pair-check.service.js';
import { RunsService } from './runs.service.js';
import { ComplianceFactsService } from './compliance-facts.service.js';
import { ComtradeService } from './comtrade.service.js';
import { StatisticsService } from './statistics.service.js';
import { VerifyService } from './verify.service.js';
import { VerifyRegistry } from './verify-registry.js';

@Module({
  imports: [FlagsModule],
  providers: [ComplianceFactsService, VerifyRegistry, VerifyService, CheckService, PairCheckService, RunsService, StatisticsService, ComtradeService],
  exports: [ComplianceFactsService, VerifyRegistry, VerifyService, CheckService, PairCheckService, RunsService, StatisticsService, ComtradeService],
})
export class CrosscheckModule {}
