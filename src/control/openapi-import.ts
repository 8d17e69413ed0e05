import { convertOpenApi, OpenApiError } from '../openapi/index.js';
import { Errors, GatewayError } from '../errors.js';
import type { AdminExtension } from './admin-extensions.js';

/** POST /api/v1/openapi-to-mcp: {content, serverName?, toolPrefix?} -> {yaml, warnings[]}. */
export function openApiImportExtension(): AdminExtension {
  return {
    name: 'openapi-import',
    async register(app) {
      app.post('/api/v1/openapi-to-mcp', {
        schema: {
          tags: ['openapi'],
          summary: 'Convert a Swagger 2.0 / OpenAPI 3.x document (JSON or YAML text) into reviewable tool YAML',
          body: { type: 'object', required: ['content'], properties: { content: { type: 'string' }, serverName: { type: 'string' }, toolPrefix: { type: 'string' } } },
        },
      }, async (req) => {
        const body = req.body as { content?: unknown; serverName?: unknown; toolPrefix?: unknown } | null;
        if (!body || typeof body.content !== 'string' || body.content.trim() === '') {
          throw Errors.validation('"content" must hold the API document as text', [{ path: 'content', code: 'MISSING_FIELD', message: 'required' }]);
        }
        try {
          const result = await convertOpenApi(body.content, {
            serverName: typeof body.serverName === 'string' ? body.serverName : undefined,
            toolPrefix: typeof body.toolPrefix === 'string' ? body.toolPrefix : undefined,
          });
          return { yaml: result.yaml, warnings: result.warnings, toolCount: result.toolCount };
        } catch (err) {
          if (err instanceof OpenApiError) {
            const status = err.code === 'OPENAPI_TOO_LARGE' ? 413 : 422;
            throw new GatewayError(err.code, status, err.message, [{ path: err.location, message: err.message, code: err.code }]);
          }
          throw err;
        }
      });
    },
  };
}
