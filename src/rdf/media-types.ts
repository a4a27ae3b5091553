/**
 * RDF syntaxes by media type, and content negotiation over an Accept header (RFC 9110 §12.5.1:
 * quality values, wildcards, the most specific match wins among equal qualities).
 */
export type RdfFormat = 'n-triples' | 'n-quads' | 'turtle' | 'trig' | 'rdf-xml';

export const FORMAT_MEDIA_TYPE: Record<RdfFormat, string> = {
  'n-triples': 'application/n-triples',
  'n-quads': 'application/n-quads',
  turtle: 'text/turtle',
  trig: 'application/trig',
  'rdf-xml': 'application/rdf+xml',
};

const MEDIA_TYPE_FORMAT: Record<string, RdfFormat> = {
  'application/n-triples': 'n-triples',
  'text/plain': 'n-triples',
  'application/n-quads': 'n-quads',
  'text/x-nquads': 'n-quads',
  'text/turtle': 'turtle',
  'application/x-turtle': 'turtle',
  'application/trig': 'trig',
  'application/x-trig': 'trig',
  'application/rdf+xml': 'rdf-xml',
};

/** The format named by a Content-Type header (parameters ignored), or undefined. */
export function formatOfContentType(contentType: string | undefined): RdfFormat | undefined {
  if (!contentType) return undefined;
  const mediaType = contentType.split(';')[0].trim().toLowerCase();
  return Object.hasOwn(MEDIA_TYPE_FORMAT, mediaType) ? MEDIA_TYPE_FORMAT[mediaType] : undefined;
}

/** The format a file name implies (a `.gz` suffix is looked through). */
export function formatOfFileName(name: string): RdfFormat | undefined {
  const base = name.toLowerCase().replace(/\.gz$/, '');
  if (base.endsWith('.nt')) return 'n-triples';
  if (base.endsWith('.nq')) return 'n-quads';
  if (base.endsWith('.ttl')) return 'turtle';
  if (base.endsWith('.trig')) return 'trig';
  if (base.endsWith('.rdf') || base.endsWith('.owl')) return 'rdf-xml';
  return undefined;
}

export function isQuadFormat(format: RdfFormat): boolean {
  return format === 'n-quads' || format === 'trig';
}

interface AcceptRange {
  type: string;
  subtype: string;
  quality: number;
}

function parseAccept(header: string): AcceptRange[] {
  const ranges: AcceptRange[] = [];
  for (const part of header.split(',')) {
    const [range, ...params] = part.split(';').map((s) => s.trim());
    const [type, subtype] = range.toLowerCase().split('/');
    if (!type || !subtype) continue;
    let quality = 1;
    for (const param of params) {
      const [name, value] = param.split('=').map((s) => s.trim());
      if (name?.toLowerCase() === 'q') quality = Number(value);
    }
    if (!Number.isFinite(quality) || quality < 0 || quality > 1) quality = 0;
    ranges.push({ type, subtype, quality });
  }
  return ranges;
}

/**
 * The offered media type the client prefers, or undefined when none is acceptable.
 * `offers` are in server preference order; a missing or empty Accept takes the first.
 */
export function negotiate(acceptHeader: string | undefined, offers: readonly string[]): string | undefined {
  if (!acceptHeader || acceptHeader.trim() === '') return offers[0];
  const ranges = parseAccept(acceptHeader);
  let best: string | undefined;
  let bestQuality = 0;
  for (const offer of offers) {
    const [type, subtype] = offer.split('/');
    // The most specific range that matches an offer decides its quality.
    let quality = 0;
    let specificity = -1;
    for (const range of ranges) {
      if ((range.type !== '*' && range.type !== type) || (range.subtype !== '*' && range.subtype !== subtype)) continue;
      const rangeSpecificity = (range.type === '*' ? 0 : 1) + (range.subtype === '*' ? 0 : 1);
      if (rangeSpecificity > specificity) {
        specificity = rangeSpecificity;
        quality = range.quality;
      }
    }
    if (quality > bestQuality) {
      best = offer;
      bestQuality = quality;
    }
  }
  return best;
}
