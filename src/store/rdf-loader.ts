/**
 * Streams RDF text into the store in ONE write transaction: either every quad of the payload is
 * committed or, on a syntax error (or any other failure), none is. Chunks are parsed as they
 * arrive, so memory is bounded by the parser's longest line and the writer's insert batch, not
 * by the payload. Blank nodes of the payload become fresh nodes (a label prefix no earlier write
 * used), so loading the same file twice gives two copies of its blank-node structure.
 */
import { createRdfParser } from '../rdf/rdf-parser.ts';
import type { RdfFormat } from '../rdf/media-types.ts';
import type { TermKey } from '../rdf/term-key.ts';
import { DEFAULT_GRAPH_ID } from './indexes.ts';
import type { QuadStore, StoreWriter } from './quad-store.ts';

/** Where a payload goes: one graph (undefined key = default graph), or the whole dataset. */
export type LoadTarget = { kind: 'graph'; graph: TermKey | undefined } | { kind: 'dataset' };

export interface LoadOptions {
  format: RdfFormat;
  target: LoadTarget;
  /** Replace the target's content (GSP PUT) instead of adding to it (POST). */
  replace: boolean;
  baseIri?: string;
  /** Called after each chunk with the quads parsed so far. */
  onProgress?: (quads: number) => void;
}

export interface LoadResult {
  /** Quads in the payload. */
  parsedQuads: number;
  /** Quads that were not already stored. */
  insertedQuads: number;
  /** Whether a graph that did not exist was created. */
  createdGraph: boolean;
}

/** A payload with quads in a named graph sent to a single graph. */
export class QuadInGraphPayloadError extends Error {}

/** The payload is not valid UTF-8. */
export class EncodingError extends Error {}

type Chunks = AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array | string>;

export function loadRdf(store: QuadStore, chunks: Chunks, options: LoadOptions): Promise<LoadResult> {
  return store.write((writer) => loadInto(writer, chunks, options));
}

/**
 * Loads a payload inside a write transaction the caller holds. A throw leaves the transaction's
 * state undefined: the caller must abort it.
 */
export async function loadInto(writer: StoreWriter, chunks: Chunks, options: LoadOptions): Promise<LoadResult> {
  writer.finish();
  const insertedBefore = writer.insertedQuads;
  const createdGraph = prepareTarget(writer, options);
  const targetGraph = options.target.kind === 'graph' && options.target.graph !== undefined ? writer.encode(options.target.graph) : DEFAULT_GRAPH_ID;
  const blankPrefix = writer.freshBlankNodePrefix();
  const toDataset = options.target.kind === 'dataset';
  const parser = createRdfParser({
    format: options.format,
    baseIri: options.baseIri,
    renameBlank: (label) => blankPrefix + label,
    sink: (subject, predicate, object, graph) => {
      let graphId = targetGraph;
      // Quads naming the target graph itself are accepted, so a graph read as N-Quads or TriG can be written back.
      if (graph !== undefined && !(options.target.kind === 'graph' && graph === options.target.graph)) {
        if (!toDataset) throw new QuadInGraphPayloadError('the payload has quads in another graph than the target graph');
        graphId = writer.encode(graph);
      }
      writer.insert(writer.encode(subject), writer.encode(predicate), writer.encode(object), graphId);
    },
  });
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const decode = (chunk: Buffer | Uint8Array | string, stream: boolean): string => {
    if (typeof chunk === 'string') return chunk;
    try {
      return decoder.decode(chunk, { stream });
    } catch {
      throw new EncodingError('the payload is not valid UTF-8');
    }
  };
  for await (const chunk of chunks) {
    parser.push(decode(chunk, true));
    options.onProgress?.(parser.quadCount);
  }
  parser.push(decode(Buffer.alloc(0), false));
  await parser.end();
  writer.finish();
  return { parsedQuads: parser.quadCount, insertedQuads: writer.insertedQuads - insertedBefore, createdGraph };
}

function prepareTarget(writer: StoreWriter, options: LoadOptions): boolean {
  const target = options.target;
  if (target.kind === 'dataset') {
    if (options.replace) {
      for (const quad of [...writer.match({})]) writer.remove(quad);
      for (const graph of [...writer.namedGraphIds()]) writer.dropGraph(graph);
    }
    return false;
  }
  if (target.graph === undefined) {
    if (options.replace) writer.clearGraph(DEFAULT_GRAPH_ID);
    return false;
  }
  const graphId = writer.encode(target.graph);
  if (writer.createGraph(graphId)) return true;
  if (options.replace) writer.clearGraph(graphId);
  return false;
}
