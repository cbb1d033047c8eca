import { Module } from '@nestjs/common';
import { ConsentsModule } from '@hgtrace/consents';
import { DeclarationsService } from './declarations.service.js';

@Module({ imports: [ConsentsModule], providers: [DeclarationsService], exports: [DeclarationsService] })
export class DeclarationsModule {}
