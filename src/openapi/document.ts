import { OpenApiError, pointerJoin, type ConvertWarning } from './errors.js';
import type { RefResolver } from './refs.js';
import { isObject } from './schema.js';

export type SpecVersion = '2.0' | '3.0' | '3.1';

export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;
/** Methods OpenAPI allows that the tool format cannot express. */
const UNSUPPORTED_METHODS = ['trace', 'query'];

/** A parameter after `$ref` resolution and path/operation merging. */
export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  description?: string;
  required: boolean;
  /** The schema to convert: `schema` (3.x) or the parameter itself (Swagger 2.0 keeps type inline). */
  schema: unknown;
  at: string;
}

/** A request body in one chosen media type. */
export interface RequestBody {
  mediaType: string;
  schema: unknown;
  schemaAt: string;
  required: boolean;
  description?: string;
  /** Every media type offered, for warnings. */
  offered: string[];
}

export interface ResponseInfo {
  description?: string;
  mediaType?: string;
  schema?: unknown;
  schemaAt: string;
}

/** One operation in a version-neutral shape. */
export interface Operation {
  method: string;
  path: string;
  /** "GET /pets/{id}", as used in warnings. */
  label: string;
  at: string;
  operationId?: string;
  summary?: string;
  description?: string;
  parameters: Parameter[];
  body?: RequestBody;
  response?: ResponseInfo;
  security?: unknown;
  baseUrl: string;
}

export function detectVersion(root: unknown): SpecVersion {
  if (!isObject(root)) throw new OpenApiError('OPENAPI_NOT_OPENAPI', 'document is not a map with an "openapi" or "swagger" field', '/');
  if (root.openapi !== undefined) {
    const v = typeof root.openapi === 'number' ? root.openapi.toFixed(1) : String(root.openapi);
    if (/^3\.0(\.|$)/.test(v)) return '3.0';
    if (/^3\.[1-9](\.|$)/.test(v)) return '3.1';
    throw new OpenApiError('OPENAPI_NOT_OPENAPI', `unsupported OpenAPI version "${v}" (3.0 and 3.1 are supported)`, '/openapi');
  }
  if (root.swagger !== undefined) {
    const v = typeof root.swagger === 'number' ? root.swagger.toFixed(1) : String(root.swagger);
    if (v === '2.0' || v === '2') return '2.0';
    throw new OpenApiError('OPENAPI_NOT_OPENAPI', `unsupported Swagger version "${v}" (2.0 is supported)`, '/swagger');
  }
  throw new OpenApiError('OPENAPI_NOT_OPENAPI', 'document has neither an "openapi" nor a "swagger" field', '/');
}

const JSON_MEDIA = /^application\/(?:[\w.+-]*\+)?json\b|^application\/json|\/\*$|^\*\/\*$/i;
const FORM_MEDIA = /^application\/x-www-form-urlencoded\b/i;
const MULTIPART_MEDIA = /^multipart\//i;
const TEXT_MEDIA = /^text\/plain\b/i;

export function isJsonMedia(m: string): boolean {
  return JSON_MEDIA.test(m);
}

/** Chooses the media type to map: JSON first, then form, multipart, plain text, then the first. */
export function chooseMediaType(types: string[]): string | undefined {
  return (
    types.find((t) => JSON_MEDIA.test(t) && !t.includes('*')) ??
    types.find((t) => JSON_MEDIA.test(t)) ??
    types.find((t) => FORM_MEDIA.test(t)) ??
    types.find((t) => MULTIPART_MEDIA.test(t)) ??
    types.find((t) => TEXT_MEDIA.test(t)) ??
    types[0]
  );
}

export function mediaKind(m: string): 'json' | 'form' | 'multipart' | 'text' | 'other' {
  if (FORM_MEDIA.test(m)) return 'form';
  if (MULTIPART_MEDIA.test(m)) return 'multipart';
  if (JSON_MEDIA.test(m)) return 'json';
  if (TEXT_MEDIA.test(m)) return 'text';
  return 'other';
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Picks the first 2xx response: exact codes ascending, then the 2XX range. */
function successCode(responses: Record<string, unknown>): string | undefined {
  const codes = Object.keys(responses).filter((c) => /^2\d\d$/.test(c)).sort();
  return codes[0] ?? Object.keys(responses).find((c) => /^2xx$/i.test(c));
}

/** Reads the operations of a document in any supported version into one shape. */
export class DocumentReader {
  constructor(
    private readonly root: Record<string, unknown>,
    readonly version: SpecVersion,
    private readonly resolver: RefResolver,
    private readonly warn: (w: ConvertWarning) => void,
  ) {}

  /** Yields every operation; a malformed one is reported and skipped by the caller. */
  *operations(): Generator<{ label: string; read: () => Operation }> {
    const paths = this.root.paths;
    if (paths === undefined) return;
    if (!isObject(paths)) throw new OpenApiError('OPENAPI_INVALID', '"paths" must be a map of path to path item', '/paths');
    for (const [path, rawItem] of Object.entries(paths)) {
      if (!path.startsWith('/')) {
        if (!path.startsWith('x-')) this.warn({ code: 'PATH_INVALID', message: `path "${path}" does not start with "/"; skipped` });
        continue;
      }
      const itemAt = pointerJoin('/paths', path);
      const item = this.resolver.resolve(rawItem, itemAt).value;
      if (!isObject(item)) continue;
      for (const method of UNSUPPORTED_METHODS) {
        if (isObject(item[method])) {
          this.warn({ code: 'METHOD_UNSUPPORTED', message: `${method.toUpperCase()} operations cannot be expressed as tools; skipped`, operation: `${method.toUpperCase()} ${path}` });
        }
      }
      for (const method of METHODS) {
        const op = item[method];
        if (op === undefined) continue;
        const label = `${method.toUpperCase()} ${path}`;
        yield { label, read: () => this.readOperation(path, method, item, op, itemAt, label) };
      }
    }
  }

  private readOperation(path: string, method: string, item: Record<string, unknown>, op: unknown, itemAt: string, label: string): Operation {
    const at = pointerJoin(itemAt, method);
    if (!isObject(op)) throw new OpenApiError('OPENAPI_INVALID', `operation ${label} is not a map`, at);
    const { params, formParams, bodyParam } = this.readParameters(item, op, itemAt, at, label);
    const result: Operation = {
      method,
      path,
      label,
      at,
      parameters: params,
      baseUrl: this.baseUrl(item, op, label),
      security: op.security !== undefined ? op.security : this.root.security,
    };
    const operationId = str(op.operationId);
    if (operationId) result.operationId = operationId;
    const summary = str(op.summary);
    if (summary) result.summary = summary;
    const description = str(op.description);
    if (description) result.description = description;
    const body = this.version === '2.0' ? this.swaggerBody(op, bodyParam, formParams, at) : this.openApiBody(op, at);
    if (body) result.body = body;
    const response = this.version === '2.0' ? this.swaggerResponse(op, at) : this.openApiResponse(op, at);
    if (response) result.response = response;
    return result;
  }

  private readParameters(item: Record<string, unknown>, op: Record<string, unknown>, itemAt: string, at: string, label: string) {
    const merged = new Map<string, { p: Record<string, unknown>; at: string }>();
    let bodyParam: { p: Record<string, unknown>; at: string } | undefined;
    const formParams: Array<{ p: Record<string, unknown>; at: string }> = [];
    const collect = (list: unknown, listAt: string) => {
      if (!Array.isArray(list)) return;
      list.forEach((raw, i) => {
        const pAt = pointerJoin(listAt, i);
        const p = this.resolver.resolve(raw, pAt).value;
        if (!isObject(p) || typeof p.name !== 'string' || typeof p.in !== 'string') {
          this.warn({ code: 'PARAM_INVALID', message: `parameter at ${pAt} has no name or "in"; skipped`, operation: label });
          return;
        }
        merged.set(`${p.in}\u0000${p.name}`, { p, at: pAt });
      });
    };
    // Operation-level parameters override path-level ones with the same name and location.
    collect(item.parameters, pointerJoin(itemAt, 'parameters'));
    collect(op.parameters, pointerJoin(at, 'parameters'));
    const params: Parameter[] = [];
    for (const { p, at: pAt } of merged.values()) {
      const where = p.in as string;
      if (where === 'body') {
        bodyParam = { p, at: pAt };
        continue;
      }
      if (where === 'formData') {
        formParams.push({ p, at: pAt });
        continue;
      }
      if (where !== 'path' && where !== 'query' && where !== 'header' && where !== 'cookie') {
        this.warn({ code: 'PARAM_INVALID', message: `parameter "${p.name as string}" has unknown location "${where}"; skipped`, operation: label });
        continue;
      }
      let schema: unknown;
      let schemaAt = pointerJoin(pAt, 'schema');
      if (this.version === '2.0') {
        schema = p;
        schemaAt = pAt;
      } else if (p.schema !== undefined) {
        schema = p.schema;
      } else if (isObject(p.content)) {
        const [mediaType, media] = Object.entries(p.content)[0] ?? [];
        if (mediaType && isObject(media)) {
          schema = media.schema;
          schemaAt = pointerJoin(pointerJoin(pointerJoin(pAt, 'content'), mediaType), 'schema');
        }
      }
      const param: Parameter = {
        name: p.name as string,
        in: where,
        required: where === 'path' ? true : p.required === true,
        schema: schema ?? { type: 'string' },
        at: schemaAt,
      };
      const description = str(p.description);
      if (description) param.description = description;
      params.push(param);
    }
    return { params, formParams, bodyParam };
  }

  private swaggerBody(
    op: Record<string, unknown>,
    bodyParam: { p: Record<string, unknown>; at: string } | undefined,
    formParams: Array<{ p: Record<string, unknown>; at: string }>,
    at: string,
  ): RequestBody | undefined {
    const consumes = (Array.isArray(op.consumes) ? op.consumes : Array.isArray(this.root.consumes) ? this.root.consumes : []).filter(
      (c): c is string => typeof c === 'string',
    );
    if (bodyParam) {
      const offered = consumes.length ? consumes : ['application/json'];
      const body: RequestBody = {
        mediaType: chooseMediaType(offered) ?? 'application/json',
        schema: bodyParam.p.schema ?? {},
        schemaAt: pointerJoin(bodyParam.at, 'schema'),
        required: bodyParam.p.required === true,
        offered,
      };
      const description = str(bodyParam.p.description);
      if (description) body.description = description;
      return body;
    }
    if (formParams.length === 0) return undefined;
    // Swagger 2.0 form fields become one object schema, each field a property.
    const properties: Record<string, unknown> = {};
    const required: string[] = [];
    let hasFile = false;
    for (const { p } of formParams) {
      properties[p.name as string] = p;
      if (p.required === true) required.push(p.name as string);
      if (p.type === 'file') hasFile = true;
    }
    const multipart = hasFile || (consumes.some((c) => MULTIPART_MEDIA.test(c)) && !consumes.some((c) => FORM_MEDIA.test(c)));
    return {
      mediaType: multipart ? 'multipart/form-data' : 'application/x-www-form-urlencoded',
      schema: { type: 'object', properties, required },
      schemaAt: pointerJoin(at, 'parameters'),
      required: required.length > 0,
      offered: consumes,
    };
  }

  private openApiBody(op: Record<string, unknown>, at: string): RequestBody | undefined {
    if (op.requestBody === undefined) return undefined;
    const rbAt = pointerJoin(at, 'requestBody');
    const rb = this.resolver.resolve(op.requestBody, rbAt).value;
    if (!isObject(rb) || !isObject(rb.content)) return undefined;
    const offered = Object.keys(rb.content);
    const mediaType = chooseMediaType(offered);
    if (!mediaType) return undefined;
    const media = rb.content[mediaType];
    const body: RequestBody = {
      mediaType,
      schema: isObject(media) && media.schema !== undefined ? media.schema : undefined,
      schemaAt: pointerJoin(pointerJoin(pointerJoin(rbAt, 'content'), mediaType), 'schema'),
      required: rb.required === true,
      offered,
    };
    const description = str(rb.description);
    if (description) body.description = description;
    return body;
  }

  /** The first 2xx response of an operation, resolved, with its location. */
  private successResponse(op: Record<string, unknown>, at: string): { rAt: string; resp: Record<string, unknown> } | undefined {
    if (!isObject(op.responses)) return undefined;
    const code = successCode(op.responses);
    if (!code) return undefined;
    const rAt = pointerJoin(pointerJoin(at, 'responses'), code);
    const resp = this.resolver.resolve(op.responses[code], rAt).value;
    return isObject(resp) ? { rAt, resp } : undefined;
  }

  private swaggerResponse(op: Record<string, unknown>, at: string): ResponseInfo | undefined {
    const found = this.successResponse(op, at);
    if (!found) return undefined;
    const { rAt, resp } = found;
    const info: ResponseInfo = { schemaAt: pointerJoin(rAt, 'schema') };
    if (typeof resp.description === 'string' && resp.description) info.description = resp.description;
    if (resp.schema !== undefined) {
      const produces = (Array.isArray(op.produces) ? op.produces : Array.isArray(this.root.produces) ? this.root.produces : []).filter(
        (c): c is string => typeof c === 'string',
      );
      info.schema = resp.schema;
      info.mediaType = chooseMediaType(produces) ?? 'application/json';
    }
    return info;
  }

  private openApiResponse(op: Record<string, unknown>, at: string): ResponseInfo | undefined {
    const found = this.successResponse(op, at);
    if (!found) return undefined;
    const { rAt, resp } = found;
    const info: ResponseInfo = { schemaAt: rAt };
    if (typeof resp.description === 'string' && resp.description) info.description = resp.description;
    if (isObject(resp.content)) {
      const withSchema = Object.keys(resp.content).filter((m) => isObject(resp.content) && isObject(resp.content[m]) && (resp.content[m] as Record<string, unknown>).schema !== undefined);
      const mediaType = chooseMediaType(withSchema);
      if (mediaType) {
        info.mediaType = mediaType;
        info.schema = (resp.content[mediaType] as Record<string, unknown>).schema;
        info.schemaAt = pointerJoin(pointerJoin(pointerJoin(rAt, 'content'), mediaType), 'schema');
      }
    }
    return info;
  }

  private baseUrl(item: Record<string, unknown>, op: Record<string, unknown>, label: string): string {
    if (this.version === '2.0') {
      const host = str(this.root.host);
      const basePath = str(this.root.basePath) ?? '';
      const schemes = Array.isArray(op.schemes) ? op.schemes : Array.isArray(this.root.schemes) ? this.root.schemes : [];
      const scheme = schemes.includes('https') ? 'https' : typeof schemes[0] === 'string' ? schemes[0] : 'https';
      const base = host ? `${scheme}://${host}${basePath}` : basePath;
      return base.replace(/\/+$/, '');
    }
    const servers = [op.servers, item.servers, this.root.servers].find((s) => Array.isArray(s) && s.length > 0) as unknown[] | undefined;
    const server = servers?.[0];
    if (!isObject(server) || typeof server.url !== 'string') return '';
    const variables = isObject(server.variables) ? server.variables : {};
    const url = server.url.replace(/\{([^}]+)\}/g, (whole, name: string) => {
      const v = variables[name];
      if (isObject(v) && (typeof v.default === 'string' || typeof v.default === 'number')) return String(v.default);
      this.warn({ code: 'SERVER_VARIABLE_UNDEFINED', message: `server URL variable "${name}" has no default; left as written`, operation: label });
      return whole;
    });
    return url.replace(/\/+$/, '');
  }
}
