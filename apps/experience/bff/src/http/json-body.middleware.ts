// Parses JSON bodies with a size limit and turns body-parser's failures into OpenAI errors itself
// (Express error middleware would bypass Nest's filters): too large → 413, malformed JSON → 400, and
// a body nested deeper than MAX_JSON_DEPTH → 400: a few KB of brackets would otherwise overflow the
// stack of whatever walks it recursively later (JSON.stringify, structuredClone, jsonbSafe).
import type { NextFunction, Request, Response } from 'express';
import express from 'express';

import { ApiError } from '../errors/api.error';
import { sendApiError } from '../errors/openai-exception.filter';

interface BodyParserError extends Error {
  type?: string;
  status?: number;
}

/** Far deeper than any request of the API needs (a JSON Schema of a tool nests a few dozen levels). */
export const MAX_JSON_DEPTH = 64;

/** Whether `value` nests objects and arrays more than `max` levels deep (walked without recursion). */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

export function jsonBodyMiddleware(limitBytes: number) {
  const parse = express.json({ limit: limitBytes, strict: false });
  return (req: Request, res: Response, next: NextFunction): void => {
    parse(req, res, (error?: unknown) => {
      if (!error) {
        if (!nestedDeeperThan(req.body, MAX_JSON_DEPTH)) return next();
        return sendApiError(
          res,
          ApiError.badRequest(
            `The JSON body is nested more than ${MAX_JSON_DEPTH} levels deep.`,
            null,
            'invalid_json',
          ),
        );
      }
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
