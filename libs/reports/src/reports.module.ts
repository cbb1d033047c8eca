import { Module } from '@nestjs/common';
import { Article21Service } from './article21.service.js';

@Module({ providers: [Article21Service], exports: [Article21Service] })
export class ReportsModule {}
