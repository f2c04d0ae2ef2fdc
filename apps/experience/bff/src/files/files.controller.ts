// The files endpoints, OpenAI's shapes: POST /v1/files (multipart: `file`, `purpose`), GET /v1/files,
// GET /v1/files/:id, DELETE /v1/files/:id. The upload is parsed by multer (through Nest's
// FileInterceptor) into memory with a hard size cap; one file, a few small fields.
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  UploadedFile,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { memoryStorage } from 'multer';

import { ApiKeyGuard, RequireScope } from '../auth/api-key.guard';
import type { AuthenticatedCaller } from '../auth/authenticated-caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { MAX_UPLOAD_BYTES_CAP } from './files.constants';
import {
  listFilesQuerySchema,
  uploadFieldsSchema,
  type ListFilesQuery,
  type UploadFields,
} from './files.schemas';
import { FilesService, type UploadedFile as Upload } from './files.service';

@Controller('v1/files')
@UseGuards(ApiKeyGuard)
@RequireScope('chat')
export class FilesController {
  constructor(@Inject(FilesService) private readonly files: FilesService) {}

  @Post()
  @HttpCode(200)
  @UseInterceptors(
    FileInterceptor('file', {
      storage: memoryStorage(),
      limits: { fileSize: MAX_UPLOAD_BYTES_CAP, files: 1, fields: 8, fieldSize: 1024, parts: 10 },
    }),
  )
  upload(
    @CurrentCaller() caller: AuthenticatedCaller,
    @UploadedFile() file: Upload | undefined,
    @Body(new ZodValidationPipe(uploadFieldsSchema)) fields: UploadFields,
  ) {
    return this.files.upload(caller, file, fields);
  }

  @Get()
  list(
    @CurrentCaller() caller: AuthenticatedCaller,
    @Query(new ZodValidationPipe(listFilesQuerySchema, 'query')) query: ListFilesQuery,
  ) {
    return this.files.list(caller, query);
  }

  @Get(':id')
  get(@CurrentCaller() caller: AuthenticatedCaller, @Param('id') id: string) {
    return this.files.get(caller, id);
  }

  @Delete(':id')
  delete(@CurrentCaller() caller: AuthenticatedCaller, @Param('id') id: string) {
    return this.files.delete(caller, id);
  }
}
