import { Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import busboy from 'busboy';
import type { FastifyRequest } from 'fastify';
import { Allow, CurrentActor } from '@hgtrace/auth';
import { type Actor, DomainError, ValidationFailedError } from '@hgtrace/common';
import { Env } from '@hgtrace/config';
import { type ImportView, ImportsService } from '@hgtrace/declarations';
import { TAKES_MULTIPART } from '../http/request-bodies.js';
import { uuidParam } from './params.js';

@ApiTags('declarations')
@ApiBearerAuth()
@Controller('imports')
export class ImportsController {
  constructor(
    private readonly imports: ImportsService,
    private readonly env: Env,
  ) {}

  @Post()
  @HttpCode(202)
  @RouteConfig(TAKES_MULTIPART)
  @Allow('declarations.write')
  @ApiOperation({ summary: 'Upload a CSV of declarations (one row per item; columns in the README); processed in the background' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } } })
  @ApiAcceptedResponse({ schema: { example: { id: '6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b' } } })
  upload(@CurrentActor() actor: Actor, @Req() request: FastifyRequest): Promise<{ id: string }> {
    // Fastify refuses other types than JSON and multipart (request-bodies.ts); a JSON body is refused here.
    if (!/^multipart\/form-data(;|$)/i.test(request.headers['content-type']?.trim() ?? '')) {
      throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'Send the CSV as multipart/form-data, in the field "file"');
    }
    return new Promise((resolve, reject) => {
      let parser: busboy.Busboy;
      try {
        // One byte over the limit is enough for the import to know the file is too large.
        parser = busboy({ headers: request.headers, limits: { files: 1, fields: 5, fileSize: this.env.UPLOAD_LIMIT_BYTES + 1 } });
      } catch {
        reject(ValidationFailedError.of('file', 'the multipart body is malformed'));
        return;
      }
      let received = false;
      parser.on('file', (field, stream, info) => {
        if (field !== 'file' || received) {
          stream.resume();
          return;
        }
        received = true;
        this.imports.receive(actor, info.filename ?? null, stream).then(resolve, (error: unknown) => {
          stream.resume();
          reject(error);
        });
      });
      parser.on('error', () => reject(ValidationFailedError.of('file', 'the multipart body is malformed')));
      parser.on('close', () => {
        if (!received) reject(ValidationFailedError.of('file', 'is required (multipart field "file")'));
      });
      // Fastify leaves a multipart body unread (request-bodies.ts): busboy reads it from the Node request.
      request.raw.pipe(parser);
    });
  }

  @Get(':id')
  @Allow('declarations.read')
  @ApiOperation({ summary: 'Progress of an import, with the rows rejected and why' })
  @ApiOkResponse({
    schema: { example: { id: '6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b', status: 'completed', rowsTotal: 3, rowsDone: 4, created: 1, duplicates: 0, rejected: 1, errors: [{ row: 4, path: 'net_mass_kg', message: 'must be a positive number' }] } },
  })
  get(@CurrentActor() actor: Actor, @Param('id', uuidParam()) id: string): Promise<ImportView> {
    return this.imports.get(actor, id);
  }
}
