import { Module } from '@nestjs/common';
import { FlagsModule } from '@hgtrace/flags';
import { CheckService } from './check.service.js';
import { PairCheckService } from './pair-check.service.js';
import { ComplianceFactsService } from './compliance-facts.service.js';
import { VerifyService } from './verify.service.js';

@Module({
  imports: [FlagsModule],
  providers: [ComplianceFactsService, VerifyService, CheckService, PairCheckService],
  exports: [ComplianceFactsService, VerifyService, CheckService, PairCheckService],
})
export class CrosscheckModule {}
