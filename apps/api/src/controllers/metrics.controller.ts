import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { register } from 'prom-client';
import { Public } from '@hgtrace/auth';

@ApiTags('operations')
@Controller('metrics')
@Public()
export class MetricsController {
  @Get()
  @Header('Content-Type', register.contentType)
  @ApiOperation({ summary: 'Prometheus metrics of this process' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ schema: { type: 'string', example: 'hgtrace_http_request_duration_seconds_count{method="GET",route="/api/v1/users",status="200"} 12' } })
  metrics(): Promise<string> {
    return register.metrics();
  }
}
