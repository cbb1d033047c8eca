import { errorCodes, type FastifyInstance } from 'fastify';

/**
 * The JSON body parser, as Express's was (body-parser, strict): an empty body is `{}`, and a body
 * that is not an object or an array is not valid JSON. The parse itself is Fastify's, which drops
 * `__proto__` keys and `constructor` keys holding a `prototype` (the rest of the body is validated
 * as usual, so a client still learns what is missing). Bodies over `bodyLimit` bytes are refused
 * (413) before they are read whole.
 */
export function parseJsonBodies(fastify: FastifyInstance, bodyLimit: number): void {
  const parse = fastify.getDefaultJsonParser('remove', 'remove');
  fastify.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (request, body, done) => {
    const text = body as string;
    const first = /\S/.exec(text);
    if (first === null) return done(null, {});
    if (first[0] !== '{' && first[0] !== '[') return done(new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY(), undefined);
    parse(request, text, done);
  });
}
