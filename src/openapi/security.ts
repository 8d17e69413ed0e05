import { pointerJoin, type ConvertWarning } from './errors.js';
import type { RefResolver } from './refs.js';
import { isObject } from './schema.js';
import type { SpecVersion } from './document.js';

/** A security scheme in the tool format (Higress `server.securitySchemes`). */
export interface ToolSecurityScheme {
  id: string;
  type: 'http' | 'apiKey';
  scheme?: 'basic' | 'bearer';
  in?: 'header' | 'query';
  name?: string;
}

/**
 * Maps the document's security schemes: http basic/bearer and apiKey in header/query carry
 * over; oauth2, openIdConnect, mutualTLS, cookie keys and other http schemes are reported.
 */
export class SecurityMap {
  readonly schemes: ToolSecurityScheme[] = [];
  private readonly supported = new Set<string>();

  constructor(root: Record<string, unknown>, version: SpecVersion, resolver: RefResolver, warn: (w: ConvertWarning) => void) {
    const [defs, defsAt] =
      version === '2.0'
        ? [root.securityDefinitions, '/securityDefinitions']
        : [isObject(root.components) ? root.components.securitySchemes : undefined, '/components/securitySchemes'];
    if (!isObject(defs)) return;
    for (const [id, raw] of Object.entries(defs)) {
      const s = resolver.resolve(raw, pointerJoin(defsAt, id)).value;
      if (!isObject(s)) continue;
      const type = typeof s.type === 'string' ? s.type : '';
      const mapped = mapScheme(id, type, s);
      if (typeof mapped === 'string') {
        warn({ code: 'SECURITY_SCHEME_UNSUPPORTED', message: `security scheme "${id}" (${mapped}) is not supported by the tool format; configure credentials for its tools by hand` });
        continue;
      }
      this.schemes.push(mapped);
      this.supported.add(id);
    }
  }

  /**
   * The scheme id a tool uses: from the first security requirement whose schemes are all
   * supported. An empty requirement (`{}`) first means anonymous access is allowed.
   */
  schemeFor(security: unknown, warn: (w: ConvertWarning) => void, operation: string): string | undefined {
    if (!Array.isArray(security)) return undefined;
    for (const req of security) {
      if (!isObject(req)) continue;
      const ids = Object.keys(req);
      if (ids.length === 0) return undefined;
      if (!ids.every((id) => this.supported.has(id))) continue;
      if (ids.length > 1) {
        warn({ code: 'SECURITY_COMBINED', message: `requirement needs ${ids.join(' + ')} together; only "${ids[0]}" is applied`, operation });
      }
      return ids[0];
    }
    return undefined;
  }
}

function mapScheme(id: string, type: string, s: Record<string, unknown>): ToolSecurityScheme | string {
  if (type === 'basic') return { id, type: 'http', scheme: 'basic' };
  if (type === 'http') {
    const scheme = typeof s.scheme === 'string' ? s.scheme.toLowerCase() : '';
    if (scheme === 'basic' || scheme === 'bearer') return { id, type: 'http', scheme };
    return `http scheme "${scheme}"`;
  }
  if (type === 'apiKey') {
    if ((s.in === 'header' || s.in === 'query') && typeof s.name === 'string' && s.name !== '') return { id, type: 'apiKey', in: s.in, name: s.name };
    return `apiKey in ${String(s.in)}`;
  }
  return type || 'no type';
}
