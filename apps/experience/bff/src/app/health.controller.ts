// Unauthenticated probes: /healthz (liveness and readiness: the process serves HTTP and its stores
// answered at start-up) and /openapi.json (the API description, generated from the zod schemas).
import { Controller, Get, Header } from '@nestjs/common';

import { buildOpenApiDocument } from '../openapi/openapi.document';

@Controller()
export class HealthController {
  private readonly document = buildOpenApiDocument();

  @Get('healthz')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('openapi.json')
  @Header('cache-control', 'public, max-age=300')
  openapi(): object {
    return this.document;
  }
}
