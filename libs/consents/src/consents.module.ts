import { Module } from '@nestjs/common';
import { RegistryModule } from '@hgtrace/registry';
import { ConsentsService } from './consents.service.js';

@Module({ imports: [RegistryModule], providers: [ConsentsService], exports: [ConsentsService] })
export class ConsentsModule {}
