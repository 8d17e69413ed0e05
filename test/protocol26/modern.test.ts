import { describe, expect, it } from 'vitest';
import {
  checkParamHeaders,
  decodeHeaderValue,
  encodeHeaderValue,
  isModernRequest,
  modernRequestHeaders,
  paramHeaders,
  validateModernRequest,
  withRequestMeta,
} from '../../src/protocol/modern.js';
import type { JsonRpcRequest } from '../../src/protocol/jsonrpc.js';

const lookup = (h: Record<string, string>) => (name: string) => Object.entries(h).find(([k]) => k.toLowerCase() === name)?.[1];

describe('2026-07-28 wire rules', () => {
  it('encodes what plain ASCII cannot carry and decodes it back', () => {
    for (const v of ['us-west1', 'Hello, 世界', ' padded ', 'line1\nline2', '=?base64?literal?=', '']) {
      expect(decodeHeaderValue(encodeHeaderValue(v))).toBe(v);
    }
    expect(encodeHeaderValue('us-west1')).toBe('us-west1');
    expect(encodeHeaderValue('Hello, 世界')).toBe('=?base64?SGVsbG8sIOS4lueVjA==?=');
    expect(decodeHeaderValue('=?base64?SGVsbG8?=')).toBeUndefined();
    expect(decodeHeaderValue('=?base64?SGVs!!!bG8=?=')).toBeUndefined();
    expect(decodeHeaderValue('=?base64?SGVsbG8=')).toBe('=?base64?SGVsbG8=');
    expect(decodeHeaderValue('a\u0001b')).toBeUndefined();
  });

  it('tells modern requests from legacy ones', () => {
    const meta = { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } };
    expect(isModernRequest(undefined, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: meta })).toBe(true);
    expect(isModernRequest('2026-07-28', { jsonrpc: '2.0', id: 1, method: 'tools/list' })).toBe(true);
    expect(isModernRequest('2025-11-25', { jsonrpc: '2.0', id: 1, method: 'tools/list' })).toBe(false);
    expect(isModernRequest('2026-07-28', { jsonrpc: '2.0', id: 1, method: 'initialize', params: {} })).toBe(false);
    expect(isModernRequest(undefined, { jsonrpc: '2.0', id: 1, method: 'initialize', params: meta })).toBe(true);
    expect(isModernRequest('2026-07-28', [{ jsonrpc: '2.0', id: 1, method: 'tools/list' }])).toBe(false);
  });

  it('validates headers against the body with the coded answers', () => {
    const params = withRequestMeta({ name: 'get weather', arguments: {} });
    const msg: JsonRpcRequest = { jsonrpc: '2.0', id: 9, method: 'tools/call', params };
    const good = modernRequestHeaders('tools/call', params);
    expect(good['Mcp-Name']).toBe('get weather');
    expect('version' in validateModernRequest(lookup(good), msg)).toBe(true);
    const codes = (h: Record<string, string>) => {
      const r = validateModernRequest(lookup(h), msg);
      return 'status' in r ? [r.status, r.response.error!.code, r.response.id] : 'ok';
    };
    expect(codes({ ...good, 'Mcp-Name': 'other' })).toEqual([400, -32020, 9]);
    expect(codes({ ...good, 'Mcp-Method': 'tools/list' })).toEqual([400, -32020, 9]);
    expect(codes({ ...good, 'MCP-Protocol-Version': '2025-06-18' })).toEqual([400, -32020, 9]);
    const { 'MCP-Protocol-Version': _v, ...noVersion } = good;
    expect(codes(noVersion)).toEqual([400, -32020, 9]);
    const future = { jsonrpc: '2.0' as const, id: 9, method: 'tools/list', params: withRequestMeta({}, { version: '2099-01-01' }) };
    const r = validateModernRequest(lookup(modernRequestHeaders('tools/list', {}, '2099-01-01')), future);
    expect('status' in r && [r.status, r.response.error!.code, (r.response.error!.data as { requested: string }).requested]).toEqual([400, -32022, '2099-01-01']);
  });

  it('reads x-mcp-header annotations only along properties chains and refuses bad ones', () => {
    const schema = { type: 'object', properties: { region: { type: 'string', 'x-mcp-header': 'Region' }, opts: { type: 'object', properties: { tenant: { type: 'integer', 'x-mcp-header': 'Tenant' } } } } };
    expect(paramHeaders(schema)).toEqual([
      { header: 'Region', path: ['region'], type: 'string' },
      { header: 'Tenant', path: ['opts', 'tenant'], type: 'integer' },
    ]);
    expect(paramHeaders({ properties: { n: { type: 'number', 'x-mcp-header': 'N' } } })).toHaveProperty('invalid');
    expect(paramHeaders({ properties: { a: { 'x-mcp-header': 'X' }, b: { 'x-mcp-header': 'x' } } })).toHaveProperty('invalid');
    expect(paramHeaders({ properties: { a: { 'x-mcp-header': 'bad header' } } })).toHaveProperty('invalid');
    const headers = modernRequestHeaders('tools/call', { name: 't', arguments: { region: 'eu', opts: { tenant: 7 } } }, '2026-07-28', schema);
    expect(headers).toMatchObject({ 'Mcp-Param-Region': 'eu', 'Mcp-Param-Tenant': '7' });
    expect(checkParamHeaders(lookup(headers), 1, schema, { region: 'eu', opts: { tenant: 7 } })).toBeUndefined();
    expect(checkParamHeaders(lookup({ ...headers, 'Mcp-Param-Tenant': '8' }), 1, schema, { region: 'eu', opts: { tenant: 7 } })?.status).toBe(400);
    expect(checkParamHeaders(lookup({}), 1, schema, { region: null })).toBeUndefined();
  });
});
