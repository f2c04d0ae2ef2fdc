import { ACL_PUBLIC } from '../vector-store.port';
import {
  accessConditions,
  fromQdrantPayload,
  keywordTerms,
  qdrantPointId,
  toQdrantPayload,
} from './qdrant.mapper';

describe('qdrant.mapper', () => {
  it('derives the same UUID for the same id and different ones for different ids', () => {
    const sut = qdrantPointId;
    expect(sut('file-1:0')).toBe(sut('file-1:0'));
    expect(sut('file-1:0')).not.toBe(sut('file-1:1'));
    expect(sut('file-1:0')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('filters on the tenant and on the principals plus public', () => {
    expect(accessConditions({ tenantId: 't1', principals: ['user:a', 'user:a', 'group:x'] })).toEqual([
      { key: 'tenantId', match: { value: 't1' } },
      { key: 'acl', match: { any: ['user:a', 'group:x', ACL_PUBLIC] } },
    ]);
    expect(accessConditions({ tenantId: 't1', principals: [] })[1]).toEqual({
      key: 'acl',
      match: { any: [ACL_PUBLIC] },
    });
  });

  it('round-trips the payload with the caller id', () => {
    const payload = {
      tenantId: 't',
      acl: ['*'],
      fileId: 'f',
      chunkId: 'c',
      position: 3,
      contentHash: 'a'.repeat(64),
      text: 'hi',
    };
    expect(fromQdrantPayload({ ...toQdrantPayload('p1', payload) })).toEqual({ id: 'p1', payload });
  });

  it('extracts deduplicated lower-case terms and ignores punctuation-only queries', () => {
    expect(keywordTerms('Kubernetes, kubernetes! Ünïcode a 42')).toEqual(['kubernetes', 'ünïcode', '42']);
    expect(keywordTerms('?! -')).toEqual([]);
  });
});
