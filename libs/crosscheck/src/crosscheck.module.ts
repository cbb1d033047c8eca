import { Module } from '@nestjs/common';
import { ComplianceFactsService } from './compliance-facts.service.js';
import { VerifyService } from './verify.service.js';

@Module({ providers: [ComplianceFactsService, VerifyService], exports: [ComplianceFactsService, VerifyService] })
export class CrosscheckModule {}
