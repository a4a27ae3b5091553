/**
 * Writes quads of term keys as RDF text (a single graph's quads are passed with graph undefined), pushing text pieces to `write`. N-Triples and N-Quads
 * are the keys themselves (they are canonical N-Triples), so they cost a string concatenation
 * per quad; Turtle and TriG go through n3's writer.
 */
import { Writer as N3Writer } from 'n3';
import { keyQuadToRdf, keyToTerm, XSD_STRING, type KeyQuad, type TermKey } from './term-key.ts';
import type { RdfFormat } from './media-types.ts';

/** Formats we write but do not read. */
export type OutputFormat = RdfFormat | 'json-ld';

export interface RdfSerializer {
  add(quad: KeyQuad): void;
  /** Flushes what the serializer still holds (closing Turtle blocks). */
  end(): void;
}

/**
 * JSON-LD in expanded form, one node object per quad (node objects with the same @id merge), so it
 * streams with no buffering: `[{"@id":s, p:[object]}, {"@id":g, "@graph":[...]}, ...]`.
 */
function jsonLdSerializer(write: (text: string) => void): RdfSerializer {
  let first = true;
  const node = (key: TermKey) => {
    const term = keyToTerm(key);
    return term.termType === 'BlankNode' ? `_:${term.value}` : term.value;
  };
  const object = (key: TermKey) => {
    const term = keyToTerm(key);
    if (term.termType !== 'Literal') return { '@id': node(key) };
    if (term.language) return { '@value': term.value, '@language': term.language };
    if (term.datatype === XSD_STRING) return { '@value': term.value };
    return { '@value': term.value, '@type': term.datatype };
  };
  return {
    add(quad) {
      const triple = { '@id': node(quad.subject), [keyToTerm(quad.predicate).value]: [object(quad.object)] };
      const item = quad.graph === undefined ? triple : { '@id': node(quad.graph), '@graph': [triple] };
      write((first ? '[' : ',\n') + JSON.stringify(item));
      first = false;
    },
    end() {
      write(first ? '[]\n' : ']\n');
    },
  };
}

export function createRdfSerializer(format: OutputFormat, write: (text: string) => void): RdfSerializer {
  if (format === 'json-ld') return jsonLdSerializer(write);
  if (format === 'n-triples' || format === 'n-quads') {
    const withGraph = format === 'n-quads';
    return {
      add(quad) {
        write(
          withGraph && quad.graph !== undefined
            ? `${quad.subject} ${quad.predicate} ${quad.object} ${quad.graph} .\n`
            : `${quad.subject} ${quad.predicate} ${quad.object} .\n`,
        );
      },
      end() {},
    };
  }
  const writer = new N3Writer({ write: (chunk: string) => write(chunk), end: () => undefined } as never, {
    format: format === 'trig' ? 'application/trig' : 'text/turtle',
  });
  return {
    add(quad) {
      writer.addQuad(keyQuadToRdf(quad));
    },
    end() {
      writer.end();
    },
  };
}
