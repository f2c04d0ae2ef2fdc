import { ApiFailure, describeFailure } from './api-failure';

const failure = (status: number, code: string | null, message = 'raw', retry?: string) =>
  ApiFailure.fromEnvelope(
    status,
    { error: { message, type: 'x', param: null, code } },
    new Headers({ ...(retry && { 'retry-after': retry }), 'x-request-id': 'req_1' }),
  );

describe(describeFailure.name, () => {
  it('names a rate limit with the time to wait', () => {
    expect(describeFailure(failure(429, 'rate_limit_exceeded', 'Rate limit reached', '7'))).toEqual({
      title: 'Too many requests',
      detail: "You have hit your key's rate limit. Try again in 7 seconds.",
    });
    expect(describeFailure(failure(429, 'rate_limit_exceeded', 'x', '1')).detail).toContain('in 1 second.');
  });

  it('names a spent budget apart from a rate limit', () => {
    const text = describeFailure(failure(429, 'budget_exceeded', 'Monthly budget of tenant reached', '120'));
    expect(text.title).toBe('Budget reached');
    expect(text.detail).toContain('resets in 120 seconds');
    expect(describeFailure(failure(429, 'insufficient_quota', 'x')).title).toBe('Budget reached');
  });

  it('names an unavailable model, with the retry time when given', () => {
    const text = describeFailure(failure(503, 'service_unavailable', 'upstream down', '2'));
    expect(text.title).toBe('The model is unavailable');
    expect(text.detail).toContain('Try again in 2 seconds');
    // A failure inside a started stream has no HTTP status; its code still says what happened.
    expect(describeFailure(ApiFailure.fromEnvelope(-1, { error: { code: 'model_unavailable' } })).title).toBe(
      'The model is unavailable',
    );
  });

  it('sends a refused key back to sign-in, and names network and server failures without internals', () => {
    expect(failure(401, 'invalid_api_key').isInvalidKey).toBe(true);
    expect(describeFailure(failure(401, 'invalid_api_key')).title).toBe('This API key does not work');
    expect(describeFailure(ApiFailure.network(new TypeError('Failed to fetch'))).title).toBe(
      'Cannot reach Hearth',
    );
    const server = describeFailure(failure(500, 'internal_error', 'stack trace at line 3'));
    expect(server.detail).not.toContain('stack trace');
    expect(server.detail).toContain('req_1');
  });

  it('passes on the server’s words for a refused request, and covers what is not an ApiFailure', () => {
    expect(describeFailure(failure(400, 'invalid_value', 'messages[0].content is empty'))).toEqual({
      title: 'The request was refused',
      detail: 'messages[0].content is empty',
    });
    expect(describeFailure(failure(404, 'model_not_found', 'The model `x` does not exist')).title).toBe(
      'Model not found',
    );
    expect(describeFailure(new Error('boom')).title).toBe('Something went wrong');
  });

  it('reads a body that is not the envelope without throwing', () => {
    const odd = ApiFailure.fromEnvelope(
      502,
      '<html>bad gateway</html>',
      new Headers({ 'retry-after': 'soon' }),
    );
    expect(odd.status).toBe(502);
    expect(odd.retryAfterSeconds).toBeUndefined();
    expect(describeFailure(odd).title).toBe('The server had a problem');
  });
});
