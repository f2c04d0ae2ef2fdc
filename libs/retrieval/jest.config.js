// Unit specs sit next to the code; medium specs in test/ run the vector-store conformance suite on the
// embedded index (always) and on Qdrant (only when QDRANT_URL points at one).
module.exports = { ...require('../../jest.preset.js'), displayName: 'retrieval', rootDir: __dirname };
