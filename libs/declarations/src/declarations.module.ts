import { Module } from '@nestjs/common';
import { ConsentsModule } from '@hgtrace/consents';
import { DeclarationsService } from './declarations.service.js';
import { ImportsService } from './imports.service.js';

@Module({ imports: [ConsentsModule], providers: [DeclarationsService, ImportsService], exports: [DeclarationsService, ImportsService] })
export class DeclarationsModule {}
