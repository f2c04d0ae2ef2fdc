// Owns building a running BFF from its config: the Nest HTTP app on Express, whose modules open the
// database, Redis and the other connections (see bff.module.ts) before the listener does, with our own
// JSON body parser (size limit → 413, malformed → 400), per-route RED metrics, request ids, 405 for methods the OpenAPI document does not
// list on its paths and OpenAI's error envelope for every failure. A failed start rejects after closing what had opened. main.ts,
// the medium specs and the benchmark all start the BFF through here.
import type { AddressInfo } from 'node:net';

import type { BffConfig } from '@hearth/config';
import type { Logger } from '@hearth/telemetry';

import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';

import { OpenAiExceptionFilter } from '../errors/openai-exception.filter';
import { httpMetricsMiddleware, sharedHttpMetrics } from '../http/http-metrics.middleware';
import { jsonBodyMiddleware } from '../http/json-body.middleware';
import { methodNotAllowedMiddleware } from '../http/method-not-allowed.middleware';
import { requestIdMiddleware } from '../http/request-id.middleware';
import { buildOpenApiDocument } from '../openapi/openapi.document';
import { BffModule } from './bff.module';

export interface BffApp {
  app: NestExpressApplication;
  /** http://host:port the API listens on. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface CreateBffOptions {
  logger: Logger;
  nestLogger?: LoggerService | false;
}

export async function createBffApp(config: BffConfig, options: CreateBffOptions): Promise<BffApp> {
  const app = await NestFactory.create<NestExpressApplication>(
    BffModule.forRoot({ config, logger: options.logger }),
    {
      bodyParser: false,
      logger: options.nestLogger ?? false,
      // Throw start-up errors to the caller (main.ts logs them and exits 1) instead of exiting here.
      abortOnError: false,
    },
  );
  try {
    app.disable('x-powered-by');
    app.set('etag', false);
    // The client address (auth-failure limit, logs) from X-Forwarded-For only behind that many proxies.
    app.set('trust proxy', config.http.trustProxyHops);
    app.use(httpMetricsMiddleware(sharedHttpMetrics()));
    app.use(requestIdMiddleware);
    app.use(methodNotAllowedMiddleware(buildOpenApiDocument().paths));
    app.use(jsonBodyMiddleware(config.http.bodyLimitBytes));
    app.useGlobalFilters(new OpenAiExceptionFilter(options.logger));
    // Runs every module's onModuleInit (the connections, in dependency order), then listens.
    await app.listen(config.http.port, config.http.host);
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const address = app.getHttpServer().address() as AddressInfo;
  const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
  const url = `http://${host}:${address.port}`;
  options.logger.info({ url }, 'bff listening');
  return { app, url, port: address.port, close: () => app.close() };
}
