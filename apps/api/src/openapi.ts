import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** The OpenAPI document at /api/docs-json and its UI at /api/docs. */
export function setUpOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('hgtrace')
    .setDescription(
      'Tracing legal mercury trade under the Minamata Convention and finding illegal flows: registries of licensed traders, ' +
        'prior-consent notices, customs declarations, cross-checks between countries, and the analysts\' flag workflow.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An access token from POST /api/v1/auth/login, or an API token (hgt_...) of a system user' })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
}
