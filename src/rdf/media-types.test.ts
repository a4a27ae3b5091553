import { test } from 'node:test';
import assert from 'node:assert/strict';
import { negotiate, formatOfContentType, formatOfFileName, isQuadFormat, FORMAT_MEDIA_TYPE } from './media-types.ts';

const GRAPH = ['text/turtle', 'application/n-triples', 'application/n-quads', 'application/trig'];
const DATASET = ['application/n-quads', 'application/trig'];

test('no Accept, an empty one, or */* takes the first offer', () => {
  assert.equal(negotiate(undefined, GRAPH), 'text/turtle');
  assert.equal(negotiate('', GRAPH), 'text/turtle');
  assert.equal(negotiate('   ', DATASET), 'application/n-quads');
  assert.equal(negotiate('*/*', GRAPH), 'text/turtle');
  assert.equal(negotiate('*/*', DATASET), 'application/n-quads');
});

test('an exact type is chosen, case-insensitively and with parameters', () => {
  assert.equal(negotiate('application/n-triples', GRAPH), 'application/n-triples');
  assert.equal(negotiate('Application/TriG', GRAPH), 'application/trig');
  assert.equal(negotiate('text/turtle; charset=utf-8', GRAPH), 'text/turtle');
  assert.equal(negotiate('application/trig;charset=utf-8;q=0.5', DATASET), 'application/trig');
});

test('q-values decide; q=0 refuses; equal qualities keep the server order', () => {
  assert.equal(negotiate('text/turtle;q=0.5, application/n-triples;q=0.9', GRAPH), 'application/n-triples');
  assert.equal(negotiate('text/turtle; q=0.9 , application/n-triples ; q=0.5', GRAPH), 'text/turtle');
  assert.equal(negotiate('application/trig, application/n-quads', DATASET), 'application/n-quads');
  assert.equal(negotiate('application/trig;q=0.8, application/n-quads;q=0.8', DATASET), 'application/n-quads');
  assert.equal(negotiate('application/n-quads;q=0, */*', DATASET), 'application/trig');
  assert.equal(negotiate('text/turtle;q=0', GRAPH), undefined);
  assert.equal(negotiate('text/turtle;q=0.001', GRAPH), 'text/turtle');
  assert.equal(negotiate('text/turtle;q=1.0', GRAPH), 'text/turtle');
});

test('wildcards: type/* and */*, the most specific range wins whatever its order', () => {
  assert.equal(negotiate('application/*', GRAPH), 'application/n-triples');
  assert.equal(negotiate('text/*', DATASET), undefined);
  assert.equal(negotiate('text/*;q=0.9, application/*;q=0.1', GRAPH), 'text/turtle');
  // the specific q=0 overrides the wildcard for that type only
  assert.equal(negotiate('application/*, application/n-triples;q=0', GRAPH), 'application/n-quads');
  assert.equal(negotiate('application/n-triples;q=0, application/*', GRAPH), 'application/n-quads');
  // a specific range with a low q loses to a wildcard covering another offer with a higher q
  assert.equal(negotiate('text/turtle;q=0.2, */*;q=0.5', GRAPH), 'application/n-triples');
  assert.equal(negotiate('*/*;q=0.1, application/trig', DATASET), 'application/trig');
  assert.equal(negotiate('text/turtle;q=0, text/*;q=1, */*;q=0.1', GRAPH), 'application/n-triples');
});

test('nothing acceptable gives undefined', () => {
  assert.equal(negotiate('application/json', GRAPH), undefined);
  assert.equal(negotiate('text/html, application/xhtml+xml;q=0.9', DATASET), undefined);
  assert.equal(negotiate('*/*;q=0', GRAPH), undefined);
});

test('malformed ranges and q-values are ignored or refuse, never throw', () => {
  assert.equal(negotiate('garbage, text/turtle', GRAPH), 'text/turtle');
  assert.equal(negotiate(',,;;', GRAPH), undefined);
  assert.equal(negotiate('text/turtle;q=abc, application/n-triples;q=0.1', GRAPH), 'application/n-triples');
  assert.equal(negotiate('text/turtle;q=2', GRAPH), undefined);
  assert.equal(negotiate('text/turtle;q=-1', GRAPH), undefined);
  assert.equal(negotiate('/', GRAPH), undefined);
  assert.equal(negotiate('text/turtle;=;x', GRAPH), 'text/turtle');
  assert.equal(negotiate('text/turtle;q', GRAPH), undefined);
});

test('the weight parameter name is case-insensitive (RFC 9110 ABNF "q=")', () => {
  assert.equal(negotiate('text/turtle;Q=0, application/n-triples;q=0.5', GRAPH), 'application/n-triples');
});

test('formatOfContentType reads the media type, ignoring parameters and case', () => {
  assert.equal(formatOfContentType('text/turtle'), 'turtle');
  assert.equal(formatOfContentType('text/turtle; charset=utf-8'), 'turtle');
  assert.equal(formatOfContentType(' Application/N-Triples ;charset=UTF-8'), 'n-triples');
  assert.equal(formatOfContentType('text/plain'), 'n-triples');
  assert.equal(formatOfContentType('application/n-quads'), 'n-quads');
  assert.equal(formatOfContentType('text/x-nquads'), 'n-quads');
  assert.equal(formatOfContentType('application/trig'), 'trig');
  assert.equal(formatOfContentType('application/x-trig'), 'trig');
  assert.equal(formatOfContentType('application/x-turtle'), 'turtle');
  assert.equal(formatOfContentType('application/ld+json'), undefined);
  assert.equal(formatOfContentType(''), undefined);
  assert.equal(formatOfContentType(undefined), undefined);
});

test(
  'formatOfContentType does not answer names inherited from Object.prototype',
  () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      assert.equal(formatOfContentType(name), undefined, name);
    }
  },
);

test('formats of file names, media types of formats, quad formats', () => {
  assert.equal(formatOfFileName('data.nt'), 'n-triples');
  assert.equal(formatOfFileName('DATA.NQ.GZ'), 'n-quads');
  assert.equal(formatOfFileName('x.ttl.gz'), 'turtle');
  assert.equal(formatOfFileName('x.trig'), 'trig');
  assert.equal(formatOfFileName('x.json'), undefined);
  assert.equal(formatOfFileName('x.gz'), undefined);
  for (const [format, mediaType] of Object.entries(FORMAT_MEDIA_TYPE)) assert.equal(formatOfContentType(mediaType), format);
  assert.equal(isQuadFormat('n-quads'), true);
  assert.equal(isQuadFormat('trig'), true);
  assert.equal(isQuadFormat('turtle'), false);
  assert.equal(isQuadFormat('n-triples'), false);
});
