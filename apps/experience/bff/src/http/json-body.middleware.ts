// Parses JSON bodies with a size limit and turns body-parser's failures into OpenAI errors itself
// (Express error middleware would bypass Nest's filters): too large → 413, malformed JSON → 400.
import type { NextFunction, Request, Response } from 'express';
import express from 'express';

import { ApiError } from '../errors/api.error';
import { sendApiError } from '../errors/openai-exception.filter';

interface BodyParserError extends Error {
  type?: string;
  status?: number;
}

export function jsonBodyMiddleware(limitBytes: number) {
  const parse = express.json({ limit: limitBytes, strict: false });
  return (req: Request, res: Response, next: NextFunction): void => {
    parse(req, res, (error?: unknown) => {
      if (!error) return next();
      const err = error as BodyParserError;
      if (err.type === 'entity.too.large') {
        return sendApiError(
          res,
          new ApiError(413, `Request body too large: the limit is ${limitBytes} bytes.`, {
            code: 'request_too_large',
          }),
        );
      }
      if (err.type === 'entity.parse.failed') {
        return sendApiError(
          res,
          ApiError.badRequest(
            'We could not parse the JSON body of your request. The OpenAI API expects a JSON payload.',
            null,
            'invalid_json',
          ),
        );
      }
      return sendApiError(res, new ApiError(err.status ?? 400, err.message, { code: 'invalid_body' }));
    });
  };
}
