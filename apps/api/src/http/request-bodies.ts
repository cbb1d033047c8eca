import { errorCodes, type FastifyBodyParser, type FastifyInstance, type FastifyRequest } from 'fastify';
import { DomainError, ValidationFailedError } from '@hgtrace/common';

/** The types of the `+json` suffix (RFC 6839), as Fastify writes a content type: `application/merge-patch+json`, `application/vnd.api+json`. */
const JSON_SUFFIX_TYPE = /^application\/[\w!#$&^.-]+\+json(?:;|$)/;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;

/** The route option (`@RouteConfig(TAKES_MULTIPART)`) of a route that reads a multipart body itself. */
export const TAKES_MULTIPART = { multipart: true } as const;

/**
 * The request bodies the api reads. JSON (`application/json` and the `+json` types) is parsed. A
 * multipart body is left unread for a route that takes one (imports.controller.ts streams the CSV as
 * it comes) and refused elsewhere. Any other type is answered 415, as is a body without a type; but
 * an empty body is no body whatever its type (Express read it as `{}`, and `curl -X POST -d ''` sends
 * `application/x-www-form-urlencoded`). An unmatched route answers 404 whatever it is sent.
 */
export function parseRequestBodies(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.removeAllContentTypeParsers();
  const json = jsonParser();
  fastify.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, json);
  fastify.addContentTypeParser(JSON_SUFFIX_TYPE, { parseAs: 'string', bodyLimit }, json);
  fastify.addContentTypeParser('multipart/form-data', (request, _payload, done) => {
    const takesMultipart = (request.routeOptions.config as { multipart?: boolean }).multipart === true;
    done(takesMultipart || request.is404 ? null : new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(), undefined);
  });
  fastify.addContentTypeParser('*', (request, _payload, done) => {
    done(request.is404 || isEmpty(request) ? null : new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(), undefined);
  });
}

/**
 * JSON bodies, as Express's parser read them (body-parser, strict): an empty body is `{}`, and a body
 * that is not an object or an array is not valid JSON. A charset other than UTF-8 is refused (415):
 * JSON is UTF-8 (RFC 8259), and other bytes read as UTF-8 would change names silently. Bodies over
 * `bodyLimit` bytes are refused (413) before they are read whole.
 *
 * A `__proto__` or `constructor` key, at any depth, is refused as the validation pipe refuses any
 * field a DTO does not have (400, `is not allowed`, with its path). No DTO has either, and kept in the
 * body they are the keys that become a prototype when the body is copied key by key (class-transformer
 * does); Fastify's own parser drops them silently instead, and class-transformer skips `constructor`,
 * so neither reached the pipe's whitelist.
 */
function jsonParser(): FastifyBodyParser<string> {
  return (request, text, done) => {
    const charset = CHARSET.exec(request.headers['content-type'] ?? '')?.[1];
    if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
      return done(new DomainError('UNSUPPORTED_MEDIA_TYPE', `Send the request body as application/json in UTF-8, not ${charset.slice(0, 40)}`), undefined);
    }
    const first = /\S/.exec(text);
    if (first === null) return done(null, {});
    let body: unknown;
    try {
      if (first[0] !== '{' && first[0] !== '[') throw new SyntaxError('not an object or an array');
      // JSON.parse makes `__proto__` an own key like any other: nothing is polluted while it is looked for.
      body = JSON.parse(text);
    } catch {
      return done(new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY(), undefined);
    }
    // Either key, written out or escaped, is in the text wherever it is in the body.
    const paths = MAYBE_PROTOTYPE_KEY.test(text) ? prototypeKeyPaths(body) : [];
    if (paths.length > 0) return done(new ValidationFailedError(paths.map((path) => ({ path, message: 'is not allowed' }))), undefined);
    done(null, body);
  };
}

const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor']);
const MAYBE_PROTOTYPE_KEY = /__proto__|constructor|\\u/;

/** The paths of the `__proto__` and `constructor` keys in a parsed body, as the validation pipe writes paths; iterative, so any depth is safe. */
export function prototypeKeyPaths(value: unknown): string[] {
  const found: string[] = [];
  const pending: [unknown, string][] = [[value, '']];
  while (pending.length > 0) {
    const [node, path] = pending.pop()!;
    const isArray = Array.isArray(node);
    for (const key of Object.keys(node as object)) {
      const at = isArray ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      if (!isArray && PROTOTYPE_KEYS.has(key)) found.push(at);
      const child = (node as Record<string, unknown>)[key];
      if (child !== null && typeof child === 'object') pending.push([child, at]);
    }
  }
  return found.sort();
}

/** No body follows the head, as Fastify decides for a request without a type. */
function isEmpty(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
}
