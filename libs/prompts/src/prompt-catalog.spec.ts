import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parsePromptFile, PromptCatalog } from './prompt-catalog';

const file = (front: string, body: string) => `---\n${front}\n---\n${body}\n`;

describe(PromptCatalog.name, () => {
  it('loads every shipped prompt and renders the grounding instruction as written', () => {
    const sut = PromptCatalog.load();
    expect(sut.refs()).toEqual(expect.arrayContaining(['grounding@v1', 'grounding@v2', 'summary@v1']));
    expect(sut.render('grounding@v1')).toBe(
      'Answer only from the numbered sources. Cite each source you use like [1]. If the sources do not ' +
        'contain the answer, say you cannot answer from the sources.',
    );
  });

  it('fills variables and refuses a render that leaves one out', () => {
    const sut = PromptCatalog.load();
    expect(sut.render('memory-fact@v1', { fact: 'Lives in Oslo.' })).toBe(
      'Remembered about the user: Lives in Oslo.',
    );
    expect(() => sut.render('memory-fact@v1')).toThrow('prompt memory-fact@v1 needs fact');
    expect(() => sut.render('nope@v1')).toThrow('unknown prompt nope@v1');
  });

  it('lists every bad file of a folder in one error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prompts-'));
    writeFileSync(join(dir, 'ok@v1.md'), file('id: ok\nversion: 1\ndescription: fine', 'Hello.'));
    writeFileSync(join(dir, 'misnamed@v1.md'), file('id: other\nversion: 2\ndescription: d', 'x'));
    writeFileSync(join(dir, 'plain@v1.md'), 'no front matter');
    const error = (() => {
      try {
        PromptCatalog.load(dir);
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(error).toContain('misnamed@v1.md: front matter names other@v2, so the file must be other@v2.md');
    expect(error).toContain('plain@v1.md: expected YAML front matter');
    expect(error).not.toContain('ok@v1.md');
  });
});

describe(parsePromptFile.name, () => {
  it('keeps the body as written, its last newline dropped', () => {
    const sut = parsePromptFile(
      'a@v3.md',
      file('id: a\nversion: 3\ndescription: d\nvariables: [x]', 'Line {{x}}\n  two'),
    );
    expect(sut).toMatchObject({ ref: 'a@v3', version: 3, variables: ['x'], body: 'Line {{x}}\n  two' });
  });

  it.each([
    ['id: a\nversion: 1\ndescription: d', 'uses {{y}}', 'undeclared variables: y'],
    ['id: a\nversion: 1\ndescription: d\nvariables: [y]', 'no placeholder', 'never uses: y'],
    ['id: A\nversion: 1\ndescription: d', 'x', 'id: lower-case'],
    ['id: a\nversion: 0\ndescription: d', 'x', 'version'],
    ['id: a\nversion: 1', 'x', 'description'],
    ['id: a\nversion: 1\ndescription: d', '   ', 'the prompt is empty'],
  ])('refuses front matter %j with body %j', (front, body, problem) => {
    expect(() => parsePromptFile('a@v1.md', file(front, body))).toThrow(problem);
  });
});
