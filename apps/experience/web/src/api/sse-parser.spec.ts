import { SseParser } from './sse-parser';

describe(SseParser.name, () => {
  const parse = (...pieces: string[]) => {
    const events: string[] = [];
    const sut = new SseParser((data) => events.push(data));
    for (const piece of pieces) sut.push(piece);
    sut.end();
    return events;
  };

  it('yields each event once it is complete, across any chunk boundary', () => {
    const stream = 'data: {"a":1}\n\ndata: {"b":2}\n\ndata: [DONE]\n\n';
    const whole = parse(stream);
    const bytewise = parse(...stream.split(''));

    expect(whole).toEqual(['{"a":1}', '{"b":2}', '[DONE]']);
    expect(bytewise).toEqual(whole);
  });

  it('skips comments (the server’s `: ping` heartbeats) and fields other than data', () => {
    expect(parse(': ping\n\nevent: x\nid: 3\ndata: one\n\n: ping\n\n')).toEqual(['one']);
  });

  it('joins multi-line data and accepts CRLF and CR line ends', () => {
    expect(parse('data: a\r\ndata: b\r\n\r\ndata:c\r\rdata:  d\n\n')).toEqual(['a\nb', 'c', ' d']);
  });

  it('keeps a last event that the stream ended without a blank line, and drops an empty one', () => {
    expect(parse('data: tail')).toEqual(['tail']);
    expect(parse('\n\n\n')).toEqual([]);
  });
});
