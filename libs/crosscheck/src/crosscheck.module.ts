import { Module } from '@nestjs/common';
import { FlagsModule } from '@hgtrace/flags';
import { CheckService } from './check.service.js';
import { ComplianceFactsService } from './compliance-facts.service.js';
import { VerifyService } from './verify.service.js';

@Module({
  imports: [FlagsModule],
  providers: [ComplianceFactsService, VerifyService, CheckService],
  exports: [ComplianceFactsService, VerifyService, CheckService],
})
export class CrosscheckModule {}
