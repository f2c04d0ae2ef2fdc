// Owns serving the web app (apps/experience/web, built by Vite) at `/` on the BFF's own origin, so the
// app talks to the public API with `connect-src 'self'` and no CORS. Self-contained: wiring it is one
// import, `WebAppModule.register({ dir })`; the build is read once, here, at start-up.
import {
  Inject,
  Logger,
  Module,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';

import { webAppMiddleware } from './web-app.middleware';
import { WebAssets } from './web-assets';

export interface WebAppModuleOptions {
  /** The Vite build folder (holds index.html and assets/). */
  dir: string;
}

const WEB_ASSETS = Symbol('WEB_ASSETS');

@Module({})
export class WebAppModule implements NestModule {
  constructor(@Inject(WEB_ASSETS) private readonly assets: WebAssets) {}

  static register(options: WebAppModuleOptions): DynamicModule {
    const assets = WebAssets.load(options.dir);
    if (!assets.built) {
      new Logger('WebAppModule').warn(
        `no web app build in ${options.dir}; \`npx nx run web:build\` makes one`,
      );
    }
    return { module: WebAppModule, providers: [{ provide: WEB_ASSETS, useValue: assets }] };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(webAppMiddleware(this.assets)).forRoutes('{*path}');
  }
}
