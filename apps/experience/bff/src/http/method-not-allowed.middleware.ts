// Answers a request whose path the OpenAPI document describes but whose method it does not (TRACE,
// PUT on a read-only resource, …) with 405, an Allow header listing the documented methods and
// OpenAI's error envelope, before routing, which would answer 404 as if the path did not exist. The
// document is the one list of methods, so a route added to it is covered without touching this.
import type { NextFunction, Request, Response } from 'express';

import { ApiError } from '../errors/api.error';
import { sendApiError } from '../errors/openai-exception.filter';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

interface DocumentedPath {
  pattern: RegExp;
  allow: string[];
}

/** Each documented path as a pattern (`{id}` matches one segment) with its methods, upper-case. */
export function documentedPaths(paths: Record<string, object>): DocumentedPath[] {
  return Object.entries(paths).map(([template, item]) => {
    const methods = Object.keys(item).filter((m) => HTTP_METHODS.includes(m));
    // Express answers HEAD with the GET route (headers only).
    if (methods.includes('get') && !methods.includes('head')) methods.push('head');
    const source = template
      .split(/\{[^}]+\}/)
      .map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
      .join('[^/]+');
    return { pattern: new RegExp(`^${source}/?$`), allow: methods.map((m) => m.toUpperCase()) };
  });
}

export function methodNotAllowedMiddleware(paths: Record<string, object>) {
  const documented = documentedPaths(paths);
  return (req: Request, res: Response, next: NextFunction): void => {
    const match = documented.find(({ pattern }) => pattern.test(req.path));
    if (!match || match.allow.includes(req.method)) return next();
    res.setHeader('allow', match.allow.join(', '));
    sendApiError(res, new ApiError(405, `Invalid method for URL (${req.method} ${req.path}).`));
  };
}
