// Owns building a running BFF from its config: the runtime first (database and Redis checked), then
// the Nest HTTP app on Express with our own JSON body parser (size limit → 413, malformed → 400),
// per-route RED metrics, request ids, OpenAI's error envelope for every failure, and the listener. main.ts, the medium
// specs and the benchmark all start the BFF through here.
import type { AddressInfo } from 'node:net';

import type { BffConfig } from '@hearth/config';
import type { Logger } from '@hearth/telemetry';

import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';

import { OpenAiExceptionFilter } from '../errors/openai-exception.filter';
import { httpMetricsMiddleware, sharedHttpMetrics } from '../http/http-metrics.middleware';
import { jsonBodyMiddleware } from '../http/json-body.middleware';
import { requestIdMiddleware } from '../http/request-id.middleware';
import { BffModule } from './bff.module';
import { BffRuntime } from './bff.runtime';

export interface BffApp {
  app: NestExpressApplication;
  runtime: BffRuntime;
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
  const runtime = new BffRuntime(config, { logger: options.logger });
  await runtime.start();
  let app: NestExpressApplication;
  try {
    app = await NestFactory.create<NestExpressApplication>(BffModule.forRuntime(runtime), {
      bodyParser: false,
      logger: options.nestLogger ?? false,
    });
    app.disable('x-powered-by');
    app.set('etag', false);
    app.use(httpMetricsMiddleware(sharedHttpMetrics()));
    app.use(requestIdMiddleware);
    app.use(jsonBodyMiddleware(config.http.bodyLimitBytes));
    app.useGlobalFilters(new OpenAiExceptionFilter(options.logger));
    await app.listen(config.http.port, config.http.host);
  } catch (error) {
    await runtime.stop();
    throw error;
  }
  const address = app.getHttpServer().address() as AddressInfo;
  const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
  const url = `http://${host}:${address.port}`;
  options.logger.info({ url }, 'bff listening');
  return { app, runtime, url, port: address.port, close: () => app.close() };
}
