/**
 * Writes quads of term keys as RDF text (a single graph's quads are passed with graph undefined), pushing text pieces to `write`. N-Triples and N-Quads
 * are the keys themselves (they are canonical N-Triples), so they cost a string concatenation
 * per quad; Turtle and TriG go through n3's writer.
 */
import { Writer as N3Writer } from 'n3';
import { keyQuadToRdf, type KeyQuad } from './term-key.ts';
import type { RdfFormat } from './media-types.ts';

export interface RdfSerializer {
  add(quad: KeyQuad): void;
  /** Flushes what the serializer still holds (closing Turtle blocks). */
  end(): void;
}

export function createRdfSerializer(format: RdfFormat, write: (text: string) => void): RdfSerializer {
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
