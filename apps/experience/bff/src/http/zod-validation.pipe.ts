// Validates a request body or query against its zod schema; the first problem becomes OpenAI's 400
// naming the parameter ("Unrecognized request argument supplied: foo", "Invalid type for 'n'"). An
// optional body (the OpenAPI document's `required: false`) may be left out: it reads as `{}`.
import type { PipeTransform } from '@nestjs/common';
import type { z } from 'zod';

import { ApiError } from '../errors/api.error';

export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    private readonly schema: S,
    private readonly where: 'body' | 'optional-body' | 'query' = 'body',
  ) {}

  transform(given: unknown): z.output<S> {
    const value = this.where === 'optional-body' && given === undefined ? {} : given;
    if (
      this.where !== 'query' &&
      (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value))
    ) {
      throw ApiError.badRequest(
        'The request body must be a JSON object (Content-Type: application/json).',
        null,
        'invalid_body',
      );
    }
    const parsed = this.schema.safeParse(value);
    if (!parsed.success) throw ApiError.fromZod(parsed.error);
    return parsed.data;
  }
}
