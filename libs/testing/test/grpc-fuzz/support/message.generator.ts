// Owns the seeded property-based generator of bad and boundary requests for any rpc, written straight
// to wire bytes from the request's descriptor: empty messages, missing fields, non-UUID and over-long
// ids, invalid UTF-8 (a lone surrogate, overlong NUL), NUL, RTL overrides and emoji, negative, zero and
// 64-bit-extreme numbers (also in unsigned fields), NaN and infinities, undeclared enum numbers,
// oversized repeated fields, 1 MiB strings, and random bytes as the whole message. A `caller` is
// often the spec's real tenant, user and API key, and ids are sometimes real rows, so the rpc's own
// validation past the caller and its lookups run too.
import fc from 'fast-check';

import { fixed32, fixed64, lengthDelimited, tag, varint, WIRE, zigzag } from './proto-wire.writer';
import type { FieldDescriptor, RpcCatalog } from './rpc-catalog';

/** What each generated request is, for the statistics line and a failure's message. */
export type CaseKind =
  'empty' | 'garbage' | 'fuzzed' | 'one-bad-field' | 'huge-strings' | 'oversized-repeated';

export interface FuzzCase {
  kind: CaseKind;
  /** The request messages (one, or a few for a client stream). */
  messages: Buffer[];
}

/** Rows that exist in the stack's database, so some requests get past the caller and id checks. */
export interface KnownIds {
  tenantId: string;
  userId: string;
  apiKeyId: string;
  conversationId: string;
}

export interface GeneratorContext {
  catalog: RpcCatalog;
  known: KnownIds;
  /** A model the stack serves (so generation rpcs get past routing). */
  modelId: string;
}

const CALLER_TYPE = 'hearth.common.v1.Caller';
const MAX_DEPTH = 3;
const MIB = 1024 * 1024;
const OVERSIZED_REPEATED = 2_000;

const utf8 = (text: string) => Buffer.from(text, 'utf8');

/** A well-formed UUID of no row: the id with its last hex digit changed. */
const randomUuidOf = (id: string) => `${id.slice(0, -1)}${id.endsWith('0') ? '1' : '0'}`;

/** Strings no validator should trust: each a Buffer, some of them not UTF-8 at all. */
const NASTY_STRINGS: Buffer[] = [
  Buffer.alloc(0),
  utf8('not-a-uuid'),
  utf8('00000000-0000-0000-0000-000000000000'),
  utf8('x'.repeat(300)),
  utf8('\u0000'),
  utf8('a\u0000b'),
  utf8('\u202Eevil\u202C'),
  utf8('مرحبا بالعالم'),
  utf8('👩‍👩‍👧‍👦🏳️‍🌈'),
  utf8('\u200B\uFEFF'),
  utf8(' '),
  utf8('../../etc/passwd'),
  utf8("'; DROP TABLE tenants; --"),
  utf8('{"$ne":null}'),
  Buffer.from([0xed, 0xa0, 0x80]), // a lone surrogate (U+D800), invalid UTF-8
  Buffer.from([0xc0, 0x80]), // an overlong NUL, invalid UTF-8
  Buffer.from([0xff, 0xfe, 0xfd]),
];

const INTEGERS: bigint[] = [
  0n,
  1n,
  -1n,
  2n ** 31n - 1n,
  -(2n ** 31n),
  2n ** 32n - 1n,
  2n ** 53n,
  2n ** 63n - 1n,
  -(2n ** 63n),
  2n ** 64n - 1n,
];

const FLOATS = [0, -0, 1, -1, 0.5, Number.NaN, Infinity, -Infinity, 1e308, -1e308, 5e-324];

export class MessageGenerator {
  constructor(private readonly context: GeneratorContext) {}

  /** `count` seeded random cases for the rpc's request type, then its two fixed boundary cases. */
  cases(requestType: string, clientStream: boolean, count: number, seed: number): FuzzCase[] {
    const one = this.requestArbitrary(requestType);
    const request: fc.Arbitrary<FuzzCase> = clientStream
      ? fc.array(one, { minLength: 1, maxLength: 3 }).map((parts) => ({
          kind: parts[0]!.kind,
          messages: parts.flatMap((part) => part.messages),
        }))
      : one;
    return [
      ...fc.sample(request, { seed, numRuns: count }),
      { kind: 'huge-strings', messages: [this.hugeStrings(requestType)] },
      { kind: 'oversized-repeated', messages: [this.oversizedRepeated(requestType)] },
    ];
  }

  private requestArbitrary(requestType: string): fc.Arbitrary<FuzzCase> {
    return fc.oneof(
      { weight: 1, arbitrary: fc.constant<FuzzCase>({ kind: 'empty', messages: [Buffer.alloc(0)] }) },
      {
        weight: 2,
        arbitrary: fc
          .uint8Array({ minLength: 1, maxLength: 96 })
          .map((bytes): FuzzCase => ({ kind: 'garbage', messages: [Buffer.from(bytes)] })),
      },
      {
        weight: 8,
        arbitrary: this.message(requestType, 0).map((bytes): FuzzCase => ({
          kind: 'fuzzed',
          messages: [bytes],
        })),
      },
      {
        weight: 8,
        arbitrary: this.oneBadField(requestType).map((bytes): FuzzCase => ({
          kind: 'one-bad-field',
          messages: [bytes],
        })),
      },
    );
  }

  /**
   * A plausible request (real caller and ids, the served model, short text, small numbers, declared
   * enums) with one top-level field a boundary value: gets past the first checks into the rpc's
   * deeper validation and its storage.
   */
  private oneBadField(requestType: string): fc.Arbitrary<Buffer> {
    const fields = this.context.catalog.message(requestType).field;
    if (fields.length === 0) return fc.constant(Buffer.alloc(0));
    return fc
      .integer({ min: 0, max: fields.length - 1 })
      .chain((bad) =>
        fc
          .tuple(
            ...fields.map((field, i) =>
              i === bad ? this.field(field, requestType, 0) : this.plausibleField(field, requestType, 0),
            ),
          )
          .map((parts) => Buffer.concat(parts)),
      );
  }

  private plausibleMessage(fullName: string, depth: number): fc.Arbitrary<Buffer> {
    if (depth > MAX_DEPTH) return fc.constant(Buffer.alloc(0));
    const fields = this.context.catalog.message(fullName).field;
    if (fields.length === 0) return fc.constant(Buffer.alloc(0));
    return fc
      .tuple(...fields.map((field) => this.plausibleField(field, fullName, depth)))
      .map((parts) => Buffer.concat(parts));
  }

  /** The field set (or, half the time, left unset) to a value a well-behaved caller could send. */
  private plausibleField(field: FieldDescriptor, scope: string, depth: number): fc.Arbitrary<Buffer> {
    const value = this.plausibleValue(field, scope, depth);
    if (field.type === 'TYPE_MESSAGE' && this.isCaller(field, scope)) return value;
    return fc.option(value, { nil: Buffer.alloc(0), freq: 2 });
  }

  private plausibleValue(field: FieldDescriptor, scope: string, depth: number): fc.Arbitrary<Buffer> {
    const n = field.number;
    const varintOf = (v: bigint) => Buffer.concat([tag(n, WIRE.varint), varint(v)]);
    switch (field.type) {
      case 'TYPE_STRING':
        return this.plausibleString(field.name).map((text) => lengthDelimited(n, utf8(text)));
      case 'TYPE_BOOL':
        return fc.constantFrom(0n, 1n).map(varintOf);
      case 'TYPE_ENUM': {
        const resolved = this.context.catalog.resolve(field.typeName, scope);
        const declared =
          resolved.kind === 'enum' ? resolved.descriptor.value.map((v) => BigInt(v.number)) : [0n];
        return fc.constantFrom(...declared).map(varintOf);
      }
      case 'TYPE_MESSAGE': {
        const resolved = this.context.catalog.resolve(field.typeName, scope);
        if (resolved.fullName === CALLER_TYPE) return fc.constant(this.validCaller(n));
        if (resolved.fullName === 'google.protobuf.Timestamp') {
          // A minute from now: a deadline that leaves the rpc time to work.
          const seconds = BigInt(Math.floor(Date.now() / 1000) + 60);
          return fc.constant(lengthDelimited(n, Buffer.concat([tag(1, WIRE.varint), varint(seconds)])));
        }
        return this.plausibleMessage(resolved.fullName, depth + 1).map((bytes) => lengthDelimited(n, bytes));
      }
      case 'TYPE_DOUBLE':
      case 'TYPE_FLOAT':
        return fc
          .constantFrom(0, 0.5, 1)
          .map((v) =>
            field.type === 'TYPE_DOUBLE'
              ? Buffer.concat([tag(n, WIRE.fixed64), fixed64(v, true)])
              : Buffer.concat([tag(n, WIRE.fixed32), fixed32(v, true)]),
          );
      default:
        // Integers of every width, and bytes: small and positive.
        return field.type === 'TYPE_BYTES'
          ? fc.constant(lengthDelimited(n, utf8('hello')))
          : fc.integer({ min: 1, max: 16 }).map((v) => this.smallNumber(field, v));
    }
  }

  private plausibleString(name: string): fc.Arbitrary<string> {
    const { known, modelId } = this.context;
    if (name === 'model' || name === 'modelId') return fc.constant(modelId);
    if (name === 'conversationId') return fc.constant(known.conversationId);
    if (name === 'tenantId' || name === 'userId' || name === 'apiKeyId') return fc.constant(known[name]);
    if (name.endsWith('Id') || name === 'idempotencyKey') return fc.uuid();
    return fc.constantFrom('Hello', 'What is 2 + 2?', 'x', 'assistants');
  }

  private smallNumber(field: FieldDescriptor, value: number): Buffer {
    const n = field.number;
    switch (field.type) {
      case 'TYPE_SINT32':
      case 'TYPE_SINT64':
        return Buffer.concat([tag(n, WIRE.varint), varint(zigzag(BigInt(value)))]);
      case 'TYPE_FIXED32':
      case 'TYPE_SFIXED32':
        return Buffer.concat([tag(n, WIRE.fixed32), fixed32(value, false)]);
      case 'TYPE_FIXED64':
      case 'TYPE_SFIXED64':
        return Buffer.concat([tag(n, WIRE.fixed64), fixed64(value, false)]);
      default:
        return Buffer.concat([tag(n, WIRE.varint), varint(BigInt(value))]);
    }
  }

  /** A message of the type with each field present or not, each present one a boundary value. */
  private message(fullName: string, depth: number): fc.Arbitrary<Buffer> {
    if (depth > MAX_DEPTH) return fc.constant(Buffer.alloc(0));
    const fields = this.context.catalog.message(fullName).field;
    if (fields.length === 0) return fc.constant(Buffer.alloc(0));
    const parts = fields.map((field) =>
      fc.option(this.field(field, fullName, depth), { nil: Buffer.alloc(0), freq: 3 }),
    );
    return fc.tuple(...parts).map((encoded) => Buffer.concat(encoded));
  }

  private field(field: FieldDescriptor, scope: string, depth: number): fc.Arbitrary<Buffer> {
    const single = this.value(field, scope, depth);
    if (field.label !== 'LABEL_REPEATED') return single;
    return fc.array(single, { maxLength: 4 }).map((values) => Buffer.concat(values));
  }

  /** One encoded occurrence of the field (tag included). */
  private value(field: FieldDescriptor, scope: string, depth: number): fc.Arbitrary<Buffer> {
    const n = field.number;
    switch (field.type) {
      case 'TYPE_STRING':
        return this.string().map((bytes) => lengthDelimited(n, bytes));
      case 'TYPE_BYTES':
        return fc.uint8Array({ maxLength: 64 }).map((bytes) => lengthDelimited(n, Buffer.from(bytes)));
      case 'TYPE_BOOL':
        return fc
          .constantFrom(0n, 1n, 2n, 2n ** 64n - 1n)
          .map((v) => Buffer.concat([tag(n, WIRE.varint), varint(v)]));
      case 'TYPE_INT32':
      case 'TYPE_INT64':
      case 'TYPE_UINT32':
      case 'TYPE_UINT64':
        return this.integer().map((v) => Buffer.concat([tag(n, WIRE.varint), varint(v)]));
      case 'TYPE_SINT32':
      case 'TYPE_SINT64':
        return this.integer().map((v) => Buffer.concat([tag(n, WIRE.varint), varint(zigzag(v))]));
      case 'TYPE_FIXED32':
      case 'TYPE_SFIXED32':
        return this.integer().map((v) =>
          Buffer.concat([tag(n, WIRE.fixed32), fixed32(Number(BigInt.asIntN(32, v)), false)]),
        );
      case 'TYPE_FIXED64':
      case 'TYPE_SFIXED64':
        return this.integer().map((v) => Buffer.concat([tag(n, WIRE.fixed64), fixed64(v, false)]));
      case 'TYPE_FLOAT':
        return this.float().map((v) => Buffer.concat([tag(n, WIRE.fixed32), fixed32(v, true)]));
      case 'TYPE_DOUBLE':
        return this.float().map((v) => Buffer.concat([tag(n, WIRE.fixed64), fixed64(v, true)]));
      case 'TYPE_ENUM':
        return this.enumNumber(field, scope).map((v) => Buffer.concat([tag(n, WIRE.varint), varint(v)]));
      case 'TYPE_MESSAGE':
        return this.nested(field, scope, depth).map((bytes) => lengthDelimited(n, bytes));
      default:
        throw new Error(`${scope}.${field.name}: no generator for ${field.type}`);
    }
  }

  private string(): fc.Arbitrary<Buffer> {
    const { tenantId, conversationId } = this.context.known;
    const known = [utf8(tenantId), utf8(conversationId), utf8(this.context.modelId)];
    const choices: fc.WeightedArbitrary<Buffer>[] = [
      { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
      { weight: 2, arbitrary: fc.uuid().map(utf8) },
      { weight: 1, arbitrary: fc.constantFrom(...known) },
      { weight: 2, arbitrary: fc.fullUnicodeString({ maxLength: 40 }).map(utf8) },
      // Over-long text, short of the huge-strings case's 1 MiB.
      { weight: 1, arbitrary: fc.integer({ min: 37, max: 4_096 }).map((k) => utf8('a'.repeat(k))) },
    ];
    return fc.oneof(...choices);
  }

  private integer(): fc.Arbitrary<bigint> {
    return fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...INTEGERS) },
      { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 64 }).map(BigInt) },
    );
  }

  private float(): fc.Arbitrary<number> {
    return fc.oneof(fc.constantFrom(...FLOATS), fc.double());
  }

  private enumNumber(field: FieldDescriptor, scope: string): fc.Arbitrary<bigint> {
    const resolved = this.context.catalog.resolve(field.typeName, scope);
    const declared = resolved.kind === 'enum' ? resolved.descriptor.value.map((v) => BigInt(v.number)) : [0n];
    return fc.oneof(
      { weight: 2, arbitrary: fc.constantFrom(...declared) },
      { weight: 1, arbitrary: fc.constantFrom(999n, -1n, 2n ** 31n - 1n, 2n ** 64n - 1n) },
    );
  }

  private nested(field: FieldDescriptor, scope: string, depth: number): fc.Arbitrary<Buffer> {
    const resolved = this.context.catalog.resolve(field.typeName, scope);
    const generic = this.message(resolved.fullName, depth + 1);
    if (resolved.fullName !== CALLER_TYPE) return generic;
    // The real tenant, with its user and API key or without (some rpcs require them), or another user.
    const { tenantId, userId, apiKeyId } = this.context.known;
    const valid = fc
      .tuple(fc.constantFrom(userId, '', randomUuidOf(userId)), fc.constantFrom(apiKeyId, ''))
      .map(([user, key]) =>
        Buffer.concat([
          lengthDelimited(1, utf8(tenantId)),
          ...(user ? [lengthDelimited(2, utf8(user))] : []),
          ...(key ? [lengthDelimited(3, utf8(key))] : []),
        ]),
      );
    return fc.oneof({ weight: 4, arbitrary: valid }, { weight: 2, arbitrary: generic });
  }

  /** The real tenant as caller and 1 MiB in every top-level string field. */
  private hugeStrings(requestType: string): Buffer {
    const big = utf8('ä'.repeat(MIB / 2));
    return Buffer.concat(
      this.context.catalog.message(requestType).field.map((field) => {
        if (field.type === 'TYPE_STRING') return lengthDelimited(field.number, big);
        if (field.type === 'TYPE_MESSAGE' && this.isCaller(field, requestType))
          return this.validCaller(field.number);
        return Buffer.alloc(0);
      }),
    );
  }

  /** The real tenant as caller and thousands of elements in every top-level repeated field. */
  private oversizedRepeated(requestType: string): Buffer {
    return Buffer.concat(
      this.context.catalog.message(requestType).field.map((field) => {
        if (field.type === 'TYPE_MESSAGE' && this.isCaller(field, requestType))
          return this.validCaller(field.number);
        if (field.label !== 'LABEL_REPEATED') return Buffer.alloc(0);
        const element = this.smallElement(field, requestType);
        return Buffer.concat(Array.from({ length: OVERSIZED_REPEATED }, () => element));
      }),
    );
  }

  private smallElement(field: FieldDescriptor, scope: string): Buffer {
    switch (field.type) {
      case 'TYPE_STRING':
      case 'TYPE_BYTES':
        return lengthDelimited(field.number, utf8('x'));
      case 'TYPE_MESSAGE': {
        const [sample] = fc.sample(this.nested(field, scope, MAX_DEPTH - 1), {
          seed: field.number,
          numRuns: 1,
        });
        return lengthDelimited(field.number, sample ?? Buffer.alloc(0));
      }
      case 'TYPE_FLOAT':
      case 'TYPE_FIXED32':
      case 'TYPE_SFIXED32':
        return Buffer.concat([tag(field.number, WIRE.fixed32), fixed32(1, field.type === 'TYPE_FLOAT')]);
      case 'TYPE_DOUBLE':
      case 'TYPE_FIXED64':
      case 'TYPE_SFIXED64':
        return Buffer.concat([tag(field.number, WIRE.fixed64), fixed64(1, field.type === 'TYPE_DOUBLE')]);
      default:
        return Buffer.concat([tag(field.number, WIRE.varint), varint(1n)]);
    }
  }

  private isCaller(field: FieldDescriptor, scope: string): boolean {
    return this.context.catalog.resolve(field.typeName, scope).fullName === CALLER_TYPE;
  }

  private validCaller(fieldNumber: number): Buffer {
    const { tenantId, userId, apiKeyId } = this.context.known;
    return lengthDelimited(
      fieldNumber,
      Buffer.concat([
        lengthDelimited(1, utf8(tenantId)),
        lengthDelimited(2, utf8(userId)),
        lengthDelimited(3, utf8(apiKeyId)),
      ]),
    );
  }
}
