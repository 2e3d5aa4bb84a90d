import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiError, codeForStatus, messageOf, parseProblem } from './problem.js';

const problemJson = 'application/problem+json; charset=utf-8';

describe('parseProblem', () => {
  it('takes detail, code, field and request id from a problem+json body', () => {
    const body = JSON.stringify({
      type: '/problems/invalid_input',
      title: 'Invalid input',
      status: 400,
      detail: "team name must be 1-63 characters of a-z, 0-9, '.', '_' or '-'",
      code: 'invalid_input',
      instance: 'req_01J',
      field: 'name',
    });
    const error = parseProblem(400, 'Bad Request', problemJson, body);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(400);
    expect(error.code).toBe('invalid_input');
    expect(error.detail).toBe("team name must be 1-63 characters of a-z, 0-9, '.', '_' or '-'");
    expect(error.message).toBe(error.detail);
    expect(error.field).toBe('name');
    expect(error.requestId).toBe('req_01J');
  });

  it('keeps the members beyond the standard ones, such as where a query stopped parsing', () => {
    const body = JSON.stringify({
      type: '/problems/invalid_input',
      title: 'Invalid input',
      status: 400,
      detail: 'query: expected a condition, found the end of the query at column 10',
      code: 'invalid_input',
      instance: 'req_01J',
      field: 'query',
      position: 9,
      column: 10,
      expected: ['a tag', 'a field'],
    });
    const error = parseProblem(400, 'Bad Request', problemJson, body);
    expect(error.extensions).toEqual({ position: 9, column: 10, expected: ['a tag', 'a field'] });
    expect(parseProblem(502, 'Bad Gateway', 'text/html', '<html>').extensions).toEqual({});
  });

  it('drops the request-part prefix of a validation field, so forms can match it', () => {
    const body = JSON.stringify({
      detail: 'body.email must match format "email"',
      code: 'invalid_input',
      field: 'body.email',
    });
    expect(parseProblem(400, '', problemJson, body).field).toBe('email');
  });

  it('falls back to a code from the status when the code is unknown or missing', () => {
    const unknown = JSON.stringify({ detail: 'teapot', code: 'brewing' });
    expect(parseProblem(409, 'Conflict', problemJson, unknown).code).toBe('conflict');
    expect(
      parseProblem(503, '', 'application/json', JSON.stringify({ title: 'Service unavailable' }))
        .code,
    ).toBe('unavailable');
  });

  it('uses the title when there is no detail', () => {
    const body = JSON.stringify({ title: 'Forbidden', code: 'forbidden' });
    expect(parseProblem(403, 'Forbidden', problemJson, body).detail).toBe('Forbidden');
  });

  it('names the status when the body is an HTML page from a proxy', () => {
    const error = parseProblem(
      502,
      'Bad Gateway',
      'text/html',
      '<html><body>nginx</body></html>',
      'req_9',
    );
    expect(error.code).toBe('unavailable');
    expect(error.detail).toBe('the server answered 502 Bad Gateway without an explanation');
    expect(error.requestId).toBe('req_9');
  });

  it('quotes a short plain-text body and cuts a long one', () => {
    expect(parseProblem(500, '', 'text/plain', 'disk full').detail).toBe(
      'the server answered 500: disk full',
    );
    const long = parseProblem(500, '', 'text/plain', 'x'.repeat(5000)).detail;
    expect(long.length).toBeLessThan(260);
    expect(long.endsWith('…')).toBe(true);
  });

  it('survives broken JSON, JSON that is not an object, and an empty body', () => {
    expect(parseProblem(400, 'Bad Request', problemJson, '{"detail": ').detail).toBe(
      'the server answered 400 Bad Request without an explanation',
    );
    expect(parseProblem(404, '', problemJson, '["not", "an", "object"]').code).toBe('not_found');
    expect(parseProblem(401, '', problemJson, '').code).toBe('unauthorized');
  });

  it('never throws and always gives a message, whatever the body', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 400, max: 599 }),
        fc.option(fc.constantFrom(problemJson, 'application/json', 'text/plain', 'text/html'), {
          nil: null,
        }),
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (status, contentType, body) => {
          const error = parseProblem(status, '', contentType, body);
          expect(error.status).toBe(status);
          expect(error.detail.length).toBeGreaterThan(0);
        },
      ),
    );
  });
});

describe('codeForStatus', () => {
  it('maps the statuses the server uses to their codes', () => {
    expect([400, 401, 403, 404, 409, 413, 422, 503, 500].map(codeForStatus)).toEqual([
      'invalid_input',
      'unauthorized',
      'forbidden',
      'not_found',
      'conflict',
      'payload_too_large',
      'unsupported',
      'unavailable',
      'internal',
    ]);
  });
});

describe('messageOf', () => {
  it('shows the detail of API errors and the message of others', () => {
    expect(
      messageOf(new ApiError(409, 'conflict', "team 'x' already exists", undefined, undefined)),
    ).toBe("team 'x' already exists");
    expect(messageOf(new Error('boom'))).toBe('boom');
    expect(messageOf('a string')).toBe('something went wrong');
  });
});
