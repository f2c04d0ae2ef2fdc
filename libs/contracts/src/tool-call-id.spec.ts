import { newToolCallId } from './tool-call-id';

describe(newToolCallId.name, () => {
  it('makes OpenAI-style call ids of 24 alphanumerics, a new one each time', () => {
    const ids = Array.from({ length: 50 }, () => newToolCallId());
    ids.forEach((id) => expect(id).toMatch(/^call_[A-Za-z0-9]{24}$/));
    expect(new Set(ids).size).toBe(50);
  });
});
