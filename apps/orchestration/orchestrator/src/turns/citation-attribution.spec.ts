import { attributeSources, sentences } from './citation-attribution';

const FERRY = {
  marker: 1,
  text: 'Harbour timetable. The first ferry leaves the harbour at 6:45 on weekdays and at 8:15 on Sundays.',
};
const LANTERNS = { marker: 2, text: 'Brass lanterns were lit at dusk by the keeper of the old lighthouse.' };

describe(attributeSources.name, () => {
  it('attributes a sentence made of one chunk’s words (its numbers included) to that chunk', () => {
    const answer = 'The first ferry leaves the harbour at 6:45 on weekdays.';

    expect(attributeSources(answer, [LANTERNS, FERRY])).toEqual([{ marker: 1, answerOffset: answer.length }]);
  });

  it('attributes each source once, at the first sentence it supports, in order of support', () => {
    const answer =
      'Brass lanterns were lit by the keeper at dusk. The ferry leaves the harbour at 6:45 on weekdays. ' +
      'On Sundays the first ferry leaves at 8:15.';

    expect(attributeSources(answer, [FERRY, LANTERNS])).toEqual([
      { marker: 2, answerOffset: answer.indexOf('.') + 1 },
      { marker: 1, answerOffset: answer.indexOf('weekdays.') + 'weekdays.'.length },
    ]);
  });

  it('attributes nothing to an invented link or a sentence sharing little with every chunk', () => {
    const answer =
      'You can read more at https://www.example-rail.com/news/ferry_timetable_2022.html today.\n' +
      'Ferries are a pleasant way to travel across the water.';

    expect(attributeSources(answer, [FERRY, LANTERNS])).toEqual([]);
  });

  it('attributes nothing to a sentence stating a figure the chunk does not hold (a wrong time)', () => {
    expect(attributeSources('The first ferry leaves the harbour at 6:40 on weekdays.', [FERRY])).toEqual([]);
  });

  it('needs a few content words: a sentence of stopwords and one shared word is no support', () => {
    expect(attributeSources('It is the ferry.', [FERRY])).toEqual([]);
    expect(attributeSources('', [FERRY])).toEqual([]);
    expect(attributeSources('The first ferry leaves the harbour at 6:45.', [])).toEqual([]);
  });
});

describe(sentences.name, () => {
  it('splits after sentence punctuation followed by a space and at line ends, keeping 6:45 and 3.5 whole', () => {
    const text = 'Leaves at 6:45. Costs 3.5 euros!\nSecond line without stop\n\nLast?';

    expect(sentences(text)).toEqual([
      { text: 'Leaves at 6:45.', end: 15 },
      { text: 'Costs 3.5 euros!', end: 32 },
      { text: 'Second line without stop', end: 57 },
      { text: 'Last?', end: text.length },
    ]);
  });
});
