// The hearth.common.v1 package as one module: its types are split over several .proto files but
// consumed together (`commonV1.ChatMessage`, `commonV1.FinishReason`, ...).
export * from './gen/hearth/common/v1/chat';
export * from './gen/hearth/common/v1/error';
export * from './gen/hearth/common/v1/generation';
export * from './gen/hearth/common/v1/identity';
export * from './gen/hearth/common/v1/provenance';
export * from './gen/hearth/common/v1/safety';
export * from './gen/hearth/common/v1/tools';
