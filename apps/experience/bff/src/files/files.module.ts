// A self-contained Nest module for the files endpoints. It provides its own ApiKeyGuard with the
// authenticator and rate limiter it is given (the BFF runtime's), so wiring it is one import:
//   imports: [FilesModule.register({ files: runtime.files, authenticator: runtime.authenticator,
//                                    limiter: runtime.limiter })]
import { Module, type DynamicModule } from '@nestjs/common';

import { AUTHENTICATOR, RATE_LIMITER } from '../app/bff.constants';
import type { ApiKeyAuthenticator } from '../auth/api-key.authenticator';
import { ApiKeyGuard } from '../auth/api-key.guard';
import type { RateLimiterService } from '../ratelimit/rate-limiter.service';
import { FILES_SERVICE } from './files.constants';
import { FilesController } from './files.controller';
import type { FilesService } from './files.service';

export interface FilesModuleOptions {
  files: FilesService;
  authenticator: ApiKeyAuthenticator;
  limiter: RateLimiterService;
}

@Module({})
export class FilesModule {
  static register(options: FilesModuleOptions): DynamicModule {
    return {
      module: FilesModule,
      controllers: [FilesController],
      providers: [
        ApiKeyGuard,
        { provide: FILES_SERVICE, useValue: options.files },
        { provide: AUTHENTICATOR, useValue: options.authenticator },
        { provide: RATE_LIMITER, useValue: options.limiter },
      ],
    };
  }
}
